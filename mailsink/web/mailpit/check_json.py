"""The JSON of the message checks: Mailpit's field names and nesting for html-check,
link-check and sa-check, and the same style for our auth-check and deliverability-check."""

from __future__ import annotations

from typing import Any

from mailsink.checks.authentication import AuthReport, AuthResult
from mailsink.checks.deliverability import Deliverability
from mailsink.checks.html_compat import HtmlCheck, HtmlFeature
from mailsink.checks.links import LinkCheck
from mailsink.checks.spamassassin import SpamResult


def html_check_json(check: HtmlCheck) -> dict[str, Any]:
    total = check.total
    return {
        "Platforms": check.platforms,
        "Total": {
            "Nodes": total.nodes,
            "Partial": total.partial,
            "Supported": total.supported,
            "Tests": total.tests,
            "Unsupported": total.unsupported,
        },
        "Warnings": [_feature_json(feature) for feature in check.warnings],
        "ExternalStylesheets": check.external_stylesheets,
        "DataUpdated": check.data_updated,
    }


def _feature_json(feature: HtmlFeature) -> dict[str, Any]:
    score = feature.score
    return {
        "Category": feature.category,
        "Description": feature.description,
        "Keywords": feature.keywords,
        "NotesByNumber": feature.notes_by_number,
        "Results": [
            {
                "Family": r.family,
                "Name": r.name,
                "NoteNumber": r.note_number,
                "Platform": r.platform,
                "Support": r.support,
                "Version": r.version,
            }
            for r in feature.results
        ],
        "Score": {
            "Found": score.found,
            "Partial": score.partial,
            "Supported": score.supported,
            "Unsupported": score.unsupported,
        },
        "Slug": feature.slug,
        "Tags": feature.tags,
        "Title": feature.title,
        "URL": feature.url,
    }


def link_check_json(check: LinkCheck) -> dict[str, Any]:
    return {
        "Errors": check.errors,
        "Links": [
            {"URL": link.url, "StatusCode": link.status_code, "Status": link.status}
            for link in check.links
        ],
    }


def spam_check_json(result: SpamResult) -> dict[str, Any]:
    return {
        "Error": result.error,
        "IsSpam": result.is_spam,
        "Score": result.score,
        "Rules": [
            {"Name": rule.name, "Score": rule.score, "Description": rule.description}
            for rule in result.rules
        ],
    }


def _auth_result_json(result: AuthResult) -> dict[str, Any]:
    return {"Result": result.result, "Reason": result.reason, "Properties": result.properties}


def auth_check_json(report: AuthReport) -> dict[str, Any]:
    return {
        "AuthenticationResults": report.authentication_results,
        "DKIM": [_auth_result_json(signature) for signature in report.dkim],
        "SPF": _auth_result_json(report.spf),
        "DMARC": _auth_result_json(report.dmarc),
        "ARC": _auth_result_json(report.arc),
    }


def deliverability_json(summary: Deliverability) -> dict[str, Any]:
    return {
        "Score": summary.score,
        "Findings": [
            {"Code": f.code, "Severity": f.severity, "Text": f.text} for f in summary.findings
        ],
        "UnsubscribeLinks": summary.unsubscribe_links,
        "OneClick": summary.one_click,
    }
