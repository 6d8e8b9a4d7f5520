#!/usr/bin/env python3
"""Many v1 stops with the official Huawei Cloud Python SDK and a ThreadPoolExecutor.

Usage: batch_stop.py TARGETS_FILE [CONCURRENCY=64]
TARGETS_FILE: one `JOB_ID VERSION_ID` per line. Reads MODELARTS_ENDPOINT_URL, MODELARTS_CA_BUNDLE,
HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID. One client is shared by the threads (its urllib3 pool is sized to
the concurrency). Prints `versions=N concurrency=C wall=S rate=R ok=K failed=F` (wall: the stops only).
"""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_response import SdkResponse
from huaweicloudsdkmodelarts.v1 import ModelArtsClient


class StopResponse(SdkResponse):
    openapi_types = {"is_success": "bool"}
    attribute_map = {"is_success": "is_success"}

    def __init__(self, is_success=None):
        super().__init__()
        self.is_success = is_success


def main():
    targets = [line.split() for line in open(sys.argv[1]) if line.strip()]
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    config = HttpConfig.get_default_config()
    config.ssl_ca_cert = os.environ["MODELARTS_CA_BUNDLE"]
    config.pool_connections = concurrency
    config.pool_maxsize = concurrency
    credentials = BasicCredentials(
        os.environ["HUAWEICLOUD_SDK_AK"], os.environ["HUAWEICLOUD_SDK_SK"], os.environ["HUAWEICLOUD_SDK_PROJECT_ID"]
    )
    client = (
        ModelArtsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoint(os.environ["MODELARTS_ENDPOINT_URL"])
        .build()
    )

    def stop(target):
        try:
            response = client.call_api(
                resource_path="/v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop",
                method="POST",
                path_params={"job_id": target[0], "version_id": target[1]},
                header_params={"Content-Type": "application/json"},
                body=None,
                response_type=StopResponse,
            )
            return bool(response.is_success)
        except Exception:  # noqa: BLE001 - a failed stop is counted, not fatal
            return False

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(stop, targets))
    wall = time.perf_counter() - started
    ok = sum(results)
    print(
        f"versions={len(targets)} concurrency={concurrency} wall={wall:.3f}s rate={len(targets) / wall:.0f}/s "
        f"ok={ok} failed={len(targets) - ok}"
    )


if __name__ == "__main__":
    main()
