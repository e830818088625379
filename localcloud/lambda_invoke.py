"""A loopback server for the Lambda Invoke API, so the state machine's Lambda tasks run this app's handlers.

moto's Step Functions calls `lambda.invoke` through boto3; with
AWS_ENDPOINT_URL_LAMBDA pointing here, the call reaches the handler of the
Chalice function with that name, in this process. A raised exception is
answered as Lambda does (`X-Amz-Function-Error: Unhandled`, errorType = the
exception's class name), so the ASL's Retry and Catch see the same error
names as on AWS.
"""

import json
import logging
import uuid
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from urllib.parse import unquote

from localcloud.loopback import LoopbackServer

log = logging.getLogger(__name__)
_PREFIX = "/2015-03-31/functions/"


class LambdaInvokeServer(LoopbackServer):
    def __init__(self, handlers: dict, deployed_name) -> None:
        """`handlers`: function name -> handler(event, context); `deployed_name` maps a name to its deployed one."""
        self._handlers = {deployed_name(name): handler for name, handler in handlers.items()}
        self.invocations = 0
        super().__init__("lambda-invoke", lambda request, method: self._invoke(request))

    def _invoke(self, request: BaseHTTPRequestHandler) -> None:
        path = unquote(request.path)
        if not path.startswith(_PREFIX) or not path.endswith("/invocations"):
            return _answer(request, 404, {"Type": "User", "message": f"no route {path}"}, "ResourceNotFoundException")
        name = path[len(_PREFIX):-len("/invocations")].rsplit(":function:", 1)[-1].split(":")[0]
        handler = self._handlers.get(name)
        if handler is None:
            return _answer(request, 404, {"Type": "User", "message": f"Function not found: {name}"}, "ResourceNotFoundException")
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        event = json.loads(body or b"{}")
        context = SimpleNamespace(
            function_name=name, aws_request_id=str(uuid.uuid4()), memory_limit_in_mb=512,
            invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
            get_remaining_time_in_millis=lambda: 30_000,
        )
        self.invocations += 1
        try:
            result = handler(event, context)
        except Exception as error:  # what the Lambda runtime reports for an unhandled exception
            log.info("%s raised %s: %s", name, type(error).__name__, error)
            error_type = getattr(error, "lambda_error_type", type(error).__name__)  # a crashed runtime names its own
            payload = {"errorType": error_type, "errorMessage": str(error), "stackTrace": []}
            return _answer(request, 200, payload, function_error="Unhandled")
        _answer(request, 200, result)


def _answer(request, status: int, payload, error_type: str | None = None, function_error: str | None = None) -> None:
    body = json.dumps(payload).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(body)))
    request.send_header("X-Amz-Executed-Version", "$LATEST")
    if error_type:
        request.send_header("X-Amzn-ErrorType", error_type)
    if function_error:
        request.send_header("X-Amz-Function-Error", function_error)
    request.end_headers()
    request.wfile.write(body)
