#!/usr/bin/env python3
"""Many v2 terminates with the official Huawei Cloud Python SDK's typed call and a ThreadPoolExecutor.

Usage: batch_terminate.py TARGETS_FILE [CONCURRENCY=64]
TARGETS_FILE: one v2 training-job UUID per line. Reads MODELARTS_ENDPOINT_URL, MODELARTS_CA_BUNDLE,
HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID. One client is shared by the threads (its urllib3 pool is sized to
the concurrency); each terminate is `stop_training_job(StopTrainingJobRequest(id, JobActionType("terminate")))`.
Prints `jobs=N concurrency=C wall=S rate=R ok=K failed=F` (wall: the terminates only).
"""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmodelarts.v1 import JobActionType, ModelArtsClient, StopTrainingJobRequest


def main():
    targets = [line.strip() for line in open(sys.argv[1]) if line.strip()]
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

    def terminate(job_id):
        try:
            response = client.stop_training_job(
                StopTrainingJobRequest(training_job_id=job_id, body=JobActionType(action_type="terminate"))
            )
            return response.status_code == 202
        except Exception:  # noqa: BLE001 - a failed terminate is counted, not fatal
            return False

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(terminate, targets))
    wall = time.perf_counter() - started
    ok = sum(results)
    print(
        f"jobs={len(targets)} concurrency={concurrency} wall={wall:.3f}s rate={len(targets) / wall:.0f}/s "
        f"ok={ok} failed={len(targets) - ok}"
    )


if __name__ == "__main__":
    main()
