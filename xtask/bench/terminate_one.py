#!/usr/bin/env python3
"""One v2 terminate with the official Huawei Cloud Python SDK's typed call: the minimal script a user would write.

Usage: terminate_one.py TRAINING_JOB_ID
Reads MODELARTS_ENDPOINT_URL, MODELARTS_CA_BUNDLE, HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID.
Exit status 0 when the terminate was accepted (HTTP 202).
"""

import os
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmodelarts.v1 import JobActionType, ModelArtsClient, StopTrainingJobRequest

config = HttpConfig.get_default_config()
config.ssl_ca_cert = os.environ["MODELARTS_CA_BUNDLE"]
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
response = client.stop_training_job(
    StopTrainingJobRequest(training_job_id=sys.argv[1], body=JobActionType(action_type="terminate"))
)
sys.exit(0 if response.status_code == 202 else 1)
