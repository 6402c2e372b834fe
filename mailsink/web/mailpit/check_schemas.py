"""The OpenAPI description of the message checks' routes and answers (part of the document
that `mailsink.web.openapi` serves)."""

from __future__ import annotations

from mailsink.web.openapi import (
    BAD_REQUEST,
    BOOLEAN,
    INTEGER,
    MESSAGE_ID,
    NOT_FOUND,
    NUMBER,
    STRING,
    STRING_LIST,
    Schema,
    array,
    json_body,
    obj,
    operation,
    query_param,
    ref,
    string_map,
    text_body,
)

AUTH_RESULT = obj({"Result": STRING, "Reason": STRING, "Properties": string_map(STRING)})

CHECK_SCHEMAS: dict[str, Schema] = {
    "HTMLCheckResponse": obj(
        {
            "Platforms": string_map(STRING_LIST),
            "Total": obj(
                {
                    "Nodes": INTEGER,
                    "Partial": NUMBER,
                    "Supported": NUMBER,
                    "Tests": INTEGER,
                    "Unsupported": NUMBER,
                }
            ),
            "Warnings": array(ref("HTMLCheckWarning")),
            "ExternalStylesheets": STRING_LIST,
            "DataUpdated": STRING,
        }
    ),
    "HTMLCheckWarning": obj(
        {
            "Category": STRING,
            "Description": STRING,
            "Keywords": STRING,
            "NotesByNumber": string_map(STRING),
            "Results": array(
                obj(
                    {
                        "Family": STRING,
                        "Name": STRING,
                        "NoteNumber": STRING,
                        "Platform": STRING,
                        "Support": {"enum": ["yes", "partial", "no"]},
                        "Version": STRING,
                    }
                )
            ),
            "Score": obj(
                {"Found": INTEGER, "Partial": NUMBER, "Supported": NUMBER, "Unsupported": NUMBER}
            ),
            "Slug": STRING,
            "Tags": STRING_LIST,
            "Title": STRING,
            "URL": STRING,
        }
    ),
    "LinkCheckResponse": obj(
        {
            "Errors": INTEGER,
            "Links": array(obj({"URL": STRING, "StatusCode": INTEGER, "Status": STRING})),
        }
    ),
    "SpamAssassinResponse": obj(
        {
            "Error": STRING,
            "IsSpam": BOOLEAN,
            "Score": NUMBER,
            "Rules": array(obj({"Name": STRING, "Score": NUMBER, "Description": STRING})),
        }
    ),
    "AuthCheckResponse": obj(
        {
            "AuthenticationResults": STRING,
            "DKIM": array(AUTH_RESULT),
            "SPF": AUTH_RESULT,
            "DMARC": AUTH_RESULT,
            "ARC": AUTH_RESULT,
        }
    ),
    "DeliverabilityResponse": obj(
        {
            "Score": INTEGER,
            "Findings": array(
                obj(
                    {
                        "Code": STRING,
                        "Severity": {"enum": ["error", "warning", "notice"]},
                        "Text": STRING,
                    }
                )
            ),
            "UnsubscribeLinks": STRING_LIST,
            "OneClick": BOOLEAN,
        }
    ),
}


def check_paths() -> dict[str, Schema]:
    tag = "Message checks"
    message = {"parameters": [MESSAGE_ID]}
    return {
        "/api/v1/message/{id}/html-check": {
            **message,
            "get": operation(
                "HTML and CSS features used, with email clients' support (caniemail data)",
                {
                    200: json_body(ref("HTMLCheckResponse")),
                    400: text_body("No HTML", "message does not contain HTML"),
                    404: NOT_FOUND,
                },
                tag=tag,
            ),
        },
        "/api/v1/message/{id}/link-check": {
            **message,
            "get": operation(
                "HTTP status of every link and image (needs --enable-link-check)",
                {200: json_body(ref("LinkCheckResponse")), 400: BAD_REQUEST, 404: NOT_FOUND},
                tag=tag,
                parameters=(query_param("follow", "`true` or `1`: follow redirects"),),
            ),
        },
        "/api/v1/message/{id}/sa-check": {
            **message,
            "get": operation(
                "SpamAssassin score from spamd (needs --spamassassin)",
                {
                    200: json_body(ref("SpamAssassinResponse")),
                    404: text_body("No such message, or no --spamassassin"),
                },
                tag=tag,
            ),
        },
        "/api/v1/message/{id}/auth-check": {
            **message,
            "get": operation(
                "DKIM (every signature), SPF, DMARC and ARC results",
                {200: json_body(ref("AuthCheckResponse")), 404: NOT_FOUND},
                tag=tag,
            ),
        },
        "/api/v1/message/{id}/deliverability-check": {
            **message,
            "get": operation(
                "Unsubscribe headers, Date, Message-ID and warnings, with a score out of 100",
                {200: json_body(ref("DeliverabilityResponse")), 404: NOT_FOUND},
                tag=tag,
            ),
        },
    }
