#!/usr/bin/env python3
"""The official Python SDK doing what `benches/protocol.rs` measures, in `timeit` loops.

Usage: protocol.py VERSION_DETAIL_JSON JOB_LIST_JSON [SECONDS_PER_OPERATION=2]
Prints one JSON object: {"stop_request/build_and_sign": ns, "version_detail/parse": ns,
"job_list_100/parse": ns} (the median over 5 timeit repeats of the time of one operation, in ns).

- build + sign: `SdkRequest(...)` for the same POST .../training-jobs/10/versions/10/stop (same host,
  project, headers) + `huaweicloudsdkcore.signer.signer.Signer(credentials).sign(request)`, the
  signer the SDK's HTTP client calls for every AK/SK request. The SDK takes the time itself
  (`datetime.utcnow()`); the Rust bench passes a fixed time. Neither sends anything.
- parse: `client.deserialize(response, ResponseType, None)`, the SDK's own response path
  (`json.loads(..., parse_float=Decimal)` + `_deserialize` into typed models), with models whose
  `openapi_types` mirror the fields of the bench data (the SDK has no v1 training-job models; these
  are registered in its v1 model package, as generated ones would be).
"""

import json
import os
import statistics
import sys
import tempfile
import timeit

os.environ["HOME"] = tempfile.mkdtemp(prefix="modelarts-bench-home-")

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.sdk_response import SdkResponse  # noqa: E402
from huaweicloudsdkcore.signer.signer import Signer  # noqa: E402
from huaweicloudsdkmodelarts.v1 import ModelArtsClient  # noqa: E402
from huaweicloudsdkmodelarts.v1 import model as model_package  # noqa: E402

AK = "AKTESTEXAMPLE0000001"
SK = "SKtestExampleSecretKey0123456789abcdefgh"
PROJECT = "0123456789abcdef0123456789abcdef"
HOST = "modelarts.cn-north-4.myhuaweicloud.com"


def make_model(name, fields, base=object):
    """A model class in the generated SDK's shape: `openapi_types`, `attribute_map`, attributes."""

    def __init__(self, **kwargs):
        if base is SdkResponse:
            SdkResponse.__init__(self)
        for attr in fields:
            setattr(self, attr, kwargs.get(attr))

    cls = type(name, (base,), {"openapi_types": dict(fields), "attribute_map": {k: k for k in fields}, "__init__": __init__})
    setattr(model_package, name, cls)
    return cls


def infer(name, value):
    """The declared type of a field, from a sample value (numeric strings are ints, as in Rust)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "int" if value.isdigit() else "str"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            sub = "Bench" + "".join(p.title() for p in name.split("_"))
            merged = {}
            for item in value:
                merged.update(item)
            make_model(sub, {k: infer(f"{name}_{k}", v) for k, v in merged.items()})
            return f"list[{sub}]"
        return "list[str]"
    if isinstance(value, dict):
        return "dict(str, object)"
    return "object"


def median_ns(stmt, seconds):
    """The median of 5 `timeit` repeats, each about seconds/5 long, per operation."""
    timer = timeit.Timer(stmt)
    number, took = timer.autorange()
    per_repeat = max(1, int(number * (seconds / 5) / took))
    runs = timer.repeat(repeat=5, number=per_repeat)
    return statistics.median(runs) / per_repeat * 1e9


class FakeResponse:
    """What `requests` hands the SDK: headers and text."""

    def __init__(self, text):
        self.headers = {"Content-Type": "application/json"}
        self.text = text


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        detail_text = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        list_text = f.read()
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0

    detail_sample = json.loads(detail_text)
    detail_type = make_model("BenchVersionDetail", {k: infer(k, v) for k, v in detail_sample.items()}, SdkResponse)
    list_sample = json.loads(list_text)
    job_fields = {}
    for job in list_sample["jobs"]:
        job_fields.update(job)
    make_model("BenchJobSummary", {k: infer(k, v) for k, v in job_fields.items()})
    list_fields = {k: infer(k, v) for k, v in list_sample.items() if k != "jobs"}
    list_fields["jobs"] = "list[BenchJobSummary]"
    list_type = make_model("BenchJobList", list_fields, SdkResponse)

    client = (
        ModelArtsClient.new_builder()
        .with_credentials(BasicCredentials(AK, SK, PROJECT))
        .with_endpoint("https://" + HOST)
        .build()
    )
    signer = Signer(BasicCredentials(AK, SK, PROJECT))
    path = "/v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop"

    def build_and_sign():
        request = SdkRequest(
            method="POST",
            schema="https",
            host=HOST,
            resource_path=path.format(project_id=PROJECT, job_id=10, version_id=10),
            query_params=[],
            header_params={"Content-Type": "application/json", "X-Project-Id": PROJECT},
            body="",
        )
        return signer.sign(request)

    detail_response = FakeResponse(detail_text)
    list_response = FakeResponse(list_text)

    # Sanity: the models are filled.
    parsed = client.deserialize(list_response, list_type, None)
    assert len(parsed.jobs) == len(list_sample["jobs"]) and parsed.jobs[0].job_id is not None
    assert client.deserialize(detail_response, detail_type, None).status is not None
    assert "Authorization" in build_and_sign().header_params

    results = {
        "stop_request/build_and_sign": median_ns(build_and_sign, seconds),
        "version_detail/parse": median_ns(lambda: client.deserialize(detail_response, detail_type, None), seconds),
        "job_list_100/parse": median_ns(lambda: client.deserialize(list_response, list_type, None), seconds),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
