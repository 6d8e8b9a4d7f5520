#!/usr/bin/env python3
"""One v1 stop with the official Huawei Cloud Python SDK: the minimal script a user would write.

Usage: stop_one.py JOB_ID VERSION_ID
Reads MODELARTS_ENDPOINT_URL, MODELARTS_CA_BUNDLE, HUAWEICLOUD_SDK_AK/_SK/_PROJECT_ID.
Exit status 0 when the stop was accepted.
"""

import os
import sys

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
response = client.call_api(
    resource_path="/v1/{project_id}/training-jobs/{job_id}/versions/{version_id}/stop",
    method="POST",
    path_params={"job_id": sys.argv[1], "version_id": sys.argv[2]},
    header_params={"Content-Type": "application/json"},
    body=None,
    response_type=StopResponse,
)
sys.exit(0 if response.is_success else 1)
