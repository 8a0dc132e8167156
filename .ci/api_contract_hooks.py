"""Schemathesis hooks for .ci/api-contract.

A multipart report or follow-up must carry every text field before its first file
(`attachment`) part: the server needs the recipients, and for a follow-up the code, before
the first byte of a file. OpenAPI cannot say in which order multipart parts come, and
schemathesis sends generated fields in its own order, so this hook moves the file parts
to the end, as every client is told to (README "Reporter API", the multipart schemas).
It changes no value and no field, only their order.

A resumable upload's append (`PATCH /api/v1/uploads/{capability}`) carries raw bytes as
`application/offset+octet-stream`, which schemathesis sends as it sends any binary body.
"""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@schemathesis.hook
def map_case(context, case):
    body = case.body
    if (case.media_type or "").startswith("multipart/form-data") and isinstance(body, dict) and "attachment" in body:
        files = body.pop("attachment")
        body["attachment"] = files
    return case
