#!/usr/bin/env python3
"""Official-SDK conformance: the Huawei Cloud Python SDK signs, the emulator verifies.

Drives `huaweicloudsdkcore` + `huaweicloudsdkmodelarts` (3.1.219, pinned) through
`ModelArtsClient.new_builder()...with_endpoint(...)` and the generic `client.call_api(...)` path
(the SDK has no v1 training-job methods) against a running `modelarts-emulator` started with
`--auth enforce`:

  1. v1 stop of a RUNNING version            -> HTTP 200, is_success true
  2. v1 show of that version                 -> status KILLING (9) or KILLED (12)
  3. show until KILLED (bounded wait)        -> status 12
  4. v1 list with a query string to sign     -> HTTP 200, the job is found
  5. v1 versions of the job                  -> HTTP 200
  6. the same show signed with a wrong SK    -> 401 APIG.0301 (enforcement is real)

and the typed v2 calls (the SDK's own request and response models; type-conversion warnings are
errors, so an answer that does not fit the models fails):

  7. stop_training_job(StopTrainingJobRequest(id, JobActionType("terminate")))
                                             -> HTTP 202, StopTrainingJobResponse, phase Terminating
  8. show_training_job_details until Terminated (bounded wait), typed status/tasks/spec
  9. list_training_jobs(ListTrainingJobsRequest(JobSearches(..., filters=[Filter(name like)])))
                                             -> ListTrainingJobsResponse with the job as JobResponse
 10. the same stop again                    -> 409 ModelArts.2796; an unknown id -> 400 ModelArts.2775
 11. a v2 show signed with a wrong SK       -> 401 APIG.0301

Usage:
  official_sdk.py '<start line JSON>'        # the emulator's one-line JSON, as an argument
  modelarts-emulator --tls | official_sdk.py # or its first line on stdin
Options: --ignore-ssl (skip certificate checks instead of trusting ca_cert),
         --job-id N --version-id N (default: the first RUNNING version from the admin API),
         --v2-job-id UUID (default: the first Running v2 job from the admin API; the emulator needs
         --v2-jobs 1 or more).

HOME is pointed at a scratch directory before the SDK is imported (importing it writes
~/.huaweicloud/application_id). Exit status 0 when every check passes.
"""

import argparse
import json
import os
import shutil
import ssl
import sys
import tempfile
import time
import urllib.request
import uuid
import warnings

SCRATCH_HOME = tempfile.mkdtemp(prefix="modelarts-conformance-home-")
os.environ["HOME"] = SCRATCH_HOME
for _name in list(os.environ):
    if _name.startswith("HUAWEICLOUD_SDK_") or _name.startswith("HUAWEICLOUD_OIDC_"):
        del os.environ[_name]

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions import exceptions  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkcore.sdk_response import SdkResponse  # noqa: E402
from huaweicloudsdkcore.warning.warning import TypeConversionWarning  # noqa: E402
from huaweicloudsdkmodelarts.v1 import (  # noqa: E402
    Filter,
    JobActionType,
    JobResponse,
    JobSearches,
    ListTrainingJobsRequest,
    ListTrainingJobsResponse,
    ModelArtsClient,
    ShowTrainingJobDetailsRequest,
    ShowTrainingJobDetailsResponse,
    StopTrainingJobRequest,
    StopTrainingJobResponse,
)
from huaweicloudsdkmodelarts.v1.model.resource import Resource  # noqa: E402
from huaweicloudsdkmodelarts.v1.model.status import Status  # noqa: E402
from huaweicloudsdkmodelarts.v1.model.task_statuses import TaskStatuses  # noqa: E402

# A value the SDK cannot convert to its model's type is a conformance failure, not a warning.
warnings.simplefilter("error", TypeConversionWarning)

KILLING, KILLED, RUNNING = 9, 12, 8


class V1StopResponse(SdkResponse):
    """Typed view of the v1 stop answer, so the SDK deserialises `is_success` itself."""

    openapi_types = {"is_success": "bool", "error_code": "str", "error_message": "str"}
    attribute_map = {"is_success": "is_success", "error_code": "error_code", "error_message": "error_message"}

    def __init__(self, is_success=None, error_code=None, error_message=None):
        super().__init__()
        self.is_success = is_success
        self.error_code = error_code
        self.error_message = error_message


class V1ShowResponse(SdkResponse):
    """Typed view of the v1 version detail (the fields this check reads)."""

    openapi_types = {"is_success": "bool", "job_id": "int", "version_id": "int", "status": "int", "duration": "int"}
    attribute_map = {k: k for k in openapi_types}

    def __init__(self, is_success=None, job_id=None, version_id=None, status=None, duration=None):
        super().__init__()
        self.is_success = is_success
        self.job_id = job_id
        self.version_id = version_id
        self.status = status
        self.duration = duration


class V1RawResponse(SdkResponse):
    """No typed fields: the JSON is read from `raw_content`."""

    openapi_types = {}
    attribute_map = {}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok: {message}")


def read_start_line(argument):
    text = argument if argument else sys.stdin.readline()
    try:
        line = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"the start line is not JSON ({e}): {text!r}")
    for key in ("endpoint", "project_id", "ak", "sk", "admin"):
        if key not in line:
            fail(f"the start line has no {key!r}: {text!r}")
    return line


def admin_jobs(line, ignore_ssl):
    """Reads the emulator's jobs through its admin API (no SDK involved)."""
    context = None
    if line["endpoint"].startswith("https://"):
        context = ssl.create_default_context(cafile=None if ignore_ssl else line.get("ca_cert"))
        if ignore_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(line["admin"] + "/jobs", context=context, timeout=10) as response:
        return json.load(response)["jobs"]


def pick_version(line, ignore_ssl):
    for job in admin_jobs(line, ignore_ssl):
        for version in job["versions"]:
            if version["status"] == RUNNING:
                return job["job_id"], version["version_id"], job["job_name"]
    fail("the emulator has no RUNNING version: start it with --jobs 1 (or pass --job-id/--version-id)")


def admin_v2_jobs(line, ignore_ssl):
    context = None
    if line["endpoint"].startswith("https://"):
        context = ssl.create_default_context(cafile=None if ignore_ssl else line.get("ca_cert"))
        if ignore_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(line["admin"] + "/v2/jobs", context=context, timeout=10) as response:
        return json.load(response)["jobs"]


def pick_v2_job(line, ignore_ssl):
    for job in admin_v2_jobs(line, ignore_ssl):
        if job["phase"] == "Running":
            return job["id"], job["name"]
    fail("the emulator has no Running v2 job: start it with --v2-jobs 1 (or pass --v2-job-id)")


def check_job_model(job, job_id, what):
    """The SDK's own models for a v2 job object, with the types they declare."""
    check(job.metadata is not None and job.metadata.id == job_id, f"{what}: metadata.id is {job_id}")
    check(isinstance(job.metadata.create_time, int), f"{what}: metadata.create_time is an int")
    check(isinstance(job.status, Status), f"{what}: status is the SDK's Status model")
    check(isinstance(job.status.duration, int), f"{what}: status.duration is an int ({job.status.duration!r})")
    check(all(isinstance(t, str) for t in job.status.tasks), f"{what}: status.tasks are strings")
    check(
        all(isinstance(t, TaskStatuses) for t in job.status.task_statuses),
        f"{what}: status.task_statuses are the SDK's TaskStatuses model",
    )
    check(isinstance(job.spec.resource, Resource), f"{what}: spec.resource is the SDK's Resource model")
    check(isinstance(job.spec.resource.node_count, int), f"{what}: spec.resource.node_count is an int")


def v2_checks(client, forged, v2_job_id, v2_name, wait_secs):
    stop = client.stop_training_job(
        StopTrainingJobRequest(training_job_id=v2_job_id, body=JobActionType(action_type="terminate"))
    )
    check(isinstance(stop, StopTrainingJobResponse), "v2 stop answered a StopTrainingJobResponse")
    check(stop.status_code == 202, f"v2 stop answered HTTP {stop.status_code}")
    check(stop.status.phase == "Terminating", f"v2 phase after stop is {stop.status.phase}")
    check_job_model(stop, v2_job_id, "v2 stop")

    def show():
        return client.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id=v2_job_id))

    detail = show()
    check(isinstance(detail, ShowTrainingJobDetailsResponse), "v2 show answered a ShowTrainingJobDetailsResponse")
    check(detail.status_code == 200, f"v2 show answered HTTP {detail.status_code}")
    deadline = time.monotonic() + wait_secs
    while detail.status.phase != "Terminated" and time.monotonic() < deadline:
        time.sleep(0.2)
        detail = show()
    check(detail.status.phase == "Terminated", f"v2 phase reached Terminated (last {detail.status.phase})")
    check_job_model(detail, v2_job_id, "v2 show")
    check(
        all(isinstance(t.exit_code, int) for t in detail.status.task_statuses),
        "v2 show: a Terminated job's task exit codes are ints",
    )

    searches = JobSearches(
        offset=0,
        limit=10,
        sort_by="create_time",
        order="desc",
        filters=[Filter(key="name", operator="like", value=[v2_name])],
    )
    listing = client.list_training_jobs(ListTrainingJobsRequest(body=searches))
    check(isinstance(listing, ListTrainingJobsResponse), "v2 list answered a ListTrainingJobsResponse")
    check(listing.status_code == 200, f"v2 list answered HTTP {listing.status_code}")
    check(isinstance(listing.total, int) and listing.total >= 1, f"v2 list total is {listing.total!r}")
    check(all(isinstance(j, JobResponse) for j in listing.items), "v2 list items are the SDK's JobResponse model")
    found = [j for j in listing.items if j.metadata.id == v2_job_id]
    check(len(found) == 1, f"v2 list with a name filter found job {v2_job_id}")
    check_job_model(found[0], v2_job_id, "v2 list item")

    try:
        client.stop_training_job(
            StopTrainingJobRequest(training_job_id=v2_job_id, body=JobActionType(action_type="terminate"))
        )
        fail("a second v2 stop of a Terminated job was accepted")
    except exceptions.ClientRequestException as e:
        check(
            e.status_code == 409 and e.error_code == "ModelArts.2796",
            f"a second v2 stop is refused with {e.status_code} {e.error_code}",
        )
    unknown = str(uuid.UUID(int=0))
    try:
        client.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id=unknown))
        fail("a v2 show of an unknown id succeeded")
    except exceptions.ClientRequestException as e:
        check(
            e.status_code == 400 and e.error_code == "ModelArts.2775",
            f"an unknown v2 id is refused with {e.status_code} {e.error_code}",
        )
    try:
        forged.show_training_job_details(ShowTrainingJobDetailsRequest(training_job_id=v2_job_id))
        fail("a v2 request signed with a wrong SK was accepted")
    except exceptions.ClientRequestException as e:
        check(
            e.status_code == 401 and e.error_code == "APIG.0301",
            f"a v2 request with a wrong SK is rejected with {e.status_code} {e.error_code}",
        )


def build_client(line, sk, ignore_ssl):
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    if line["endpoint"].startswith("https://"):
        if ignore_ssl:
            config.ignore_ssl_verification = True
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        else:
            config.ssl_ca_cert = line["ca_cert"]
    credentials = BasicCredentials(line["ak"], sk, line["project_id"])
    if line.get("security_token"):
        credentials = credentials.with_security_token(line["security_token"])
    return (
        ModelArtsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoint(line["endpoint"])
        .build()
    )


def show(client, job_id, version_id):
    return client.call_api(
        resource_path="/v1/{project_id}/training-jobs/{job_id}/versions/{version_id}",
        method="GET",
        path_params={"job_id": job_id, "version_id": version_id},
        header_params={"Content-Type": "application/json"},
        response_type=V1ShowResponse,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start_line", nargs="?", help="the emulator's JSON start line (default: read stdin)")
    parser.add_argument("--ignore-ssl", action="store_true", help="skip certificate verification")
    parser.add_argument("--job-id", type=int)
    parser.add_argument("--version-id", type=int)
    parser.add_argument("--v2-job-id")
    parser.add_argument("--wait-secs", type=float, default=15.0, help="how long to wait for KILLED")
    args = parser.parse_args()

    line = read_start_line(args.start_line)
    if args.job_id is not None and args.version_id is not None:
        job_id, version_id, job_name = args.job_id, args.version_id, None
    else:
        job_id, version_id, job_name = pick_version(line, args.ignore_ssl)
    transport = "https" if line["endpoint"].startswith("https://") else "http"
    print(f"official SDK -> {line['endpoint']} ({transport}), job {job_id} version {version_id}")
    client = build_client(line, line["sk"], args.ignore_ssl)

    stop = client.call_api(
        resource_path="/v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop",
        method="POST",
        path_params={"job_id": job_id, "version_id": version_id},
        header_params={"Content-Type": "application/json"},
        body=None,
        response_type=V1StopResponse,
    )
    check(stop.status_code == 200, f"stop answered HTTP {stop.status_code}")
    check(stop.is_success is True, f"stop is_success={stop.is_success} ({stop.raw_content!r})")

    detail = show(client, job_id, version_id)
    check(detail.status_code == 200 and detail.is_success is True, "show answered HTTP 200, is_success true")
    check(detail.status in (KILLING, KILLED), f"status after stop is {detail.status} (KILLING or KILLED)")

    deadline = time.monotonic() + args.wait_secs
    while detail.status != KILLED and time.monotonic() < deadline:
        time.sleep(0.2)
        detail = show(client, job_id, version_id)
    check(detail.status == KILLED, f"status reached KILLED (last {detail.status})")

    query = [("per_page", 5), ("page", 1), ("sortBy", "job_name"), ("order", "asc")]
    if job_name:
        query.append(("search_content", job_name))
    listing = client.call_api(
        resource_path="/v1/{project_id}/training-jobs",
        method="GET",
        query_params=query,
        header_params={"Content-Type": "application/json"},
        response_type=V1RawResponse,
    )
    listed = json.loads(listing.raw_content)
    check(listing.status_code == 200, "list with a signed query string answered HTTP 200")
    check(any(j["job_id"] == job_id for j in listed["jobs"]), f"list found job {job_id}")

    versions = client.call_api(
        resource_path="/v1/{project_id}/training-jobs/{job_id}/versions",
        method="GET",
        path_params={"job_id": job_id},
        header_params={"Content-Type": "application/json"},
        response_type=V1RawResponse,
    )
    check(versions.status_code == 200, "versions answered HTTP 200")

    forged = build_client(line, line["sk"] + "-wrong", args.ignore_ssl)
    try:
        show(forged, job_id, version_id)
        fail("a request signed with a wrong SK was accepted: is the emulator running with --auth enforce?")
    except exceptions.ClientRequestException as e:
        check(
            e.status_code == 401 and e.error_code == "APIG.0301",
            f"a wrong SK is rejected with {e.status_code} {e.error_code}",
        )

    if args.v2_job_id is not None:
        v2_job_id, v2_name = args.v2_job_id, ""
    else:
        v2_job_id, v2_name = pick_v2_job(line, args.ignore_ssl)
    print(f"official SDK -> {line['endpoint']} ({transport}), v2 job {v2_job_id}")
    v2_checks(client, forged, v2_job_id, v2_name, args.wait_secs)
    print(f"PASS: official SDK 3.1.219 conforms over {transport} (v1 and typed v2 calls)")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(SCRATCH_HOME, ignore_errors=True)
