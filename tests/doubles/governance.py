"""The write endpoints of access reviews, authentication contexts and Conditional Access policies, on the Graph double.

:func:`serve` adds them to a :class:`~tests.doubles.graph.GraphDouble`, answering as the documented
examples do (tests/fixtures/graph/README.md names them): ``POST .../accessReviews/definitions``
answers 201 with the definition, its reviewers carrying ``queryRoot`` "decisions", its
``startDate`` a date and ``autoApplyDecisionsEnabled`` / ``applyActions`` filled in; ``PUT
.../definitions/{id}`` answers 204 and refuses a changed ``scope``; an authentication context is
404 until it is created; a Conditional Access policy POST answers 201 with an ``id``, PATCH 204.
State lives in ``double.collections`` so the plain GET lists serve it too.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from werkzeug import Response

from tests.doubles.graph import GraphDouble, _Fail, _now

REVIEWS = "/identityGovernance/accessReviews/definitions"
CONTEXTS = "/identity/conditionalAccess/authenticationContextClassReferences"
ALERTS = "/identityGovernance/roleManagementAlerts/alertConfigurations"


class Governance:
    def __init__(self, double: GraphDouble) -> None:
        self.double = double
        for path in (REVIEWS, CONTEXTS, ALERTS):
            double.collections.setdefault(path, [])
        routes = self.routes()
        original = double._routes
        double._routes = lambda: routes + original()  # type: ignore[method-assign]

    def items(self, path: str) -> list[dict]:
        return self.double.collections[path]

    def find(self, path: str, object_id: str) -> dict:
        found = next((x for x in self.items(path) if str(x.get("id")).lower() == object_id.lower()), None)
        if found is None:
            raise _Fail(404, "ResourceNotFound", f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.")
        return found

    def routes(self):
        v1 = r"v1\.0"
        return [
            (rf"POST {v1} {REVIEWS}", self._review_create),
            (rf"GET {v1} {REVIEWS}/([^/]+)", lambda v, p, q, b, i: self.double._json(copy.deepcopy(self.find(REVIEWS, i)))),
            (rf"PUT {v1} {REVIEWS}/([^/]+)", self._review_put),
            (rf"DELETE {v1} {REVIEWS}/([^/]+)", lambda v, p, q, b, i: self._delete(REVIEWS, i)),
            (rf"POST {v1} {CONTEXTS}", self._context_create),
            (rf"GET {v1} {CONTEXTS}/([^/]+)", lambda v, p, q, b, i: self.double._json(copy.deepcopy(self.find(CONTEXTS, i)))),
            (rf"PATCH {v1} {CONTEXTS}/([^/]+)", self._context_patch),
            (rf"GET beta {ALERTS}", self._alerts),
            (rf"PATCH beta {ALERTS}/([^/]+)", self._alert_patch),
        ]

    # -- PIM alert configurations (beta; the list requires the scope filter, as documented)

    def _alerts(self, version, path, query, body):
        f = self.double._filter(query)
        if f != {"scopeId": "/", "scopeType": "DirectoryRole"}:
            raise _Fail(400, "BadRequest", "The filter must scope the request to a scopeId and a scopeType.")
        return self.double._collection(version, path, query, copy.deepcopy(self.items(ALERTS)))

    def _alert_patch(self, version, path, query, body, config_id):
        config = self.find(ALERTS, config_id)
        if body.get("@odata.type") != config.get("@odata.type"):
            raise _Fail(400, "BadRequest", "The @odata.type of the alert configuration is required and must match.")
        config.update({k: v for k, v in body.items() if k != "@odata.type"})
        return Response(status=204)

    # -- access reviews

    @staticmethod
    def _as_graph_answers(body: dict[str, Any]) -> dict[str, Any]:
        review = copy.deepcopy(body)
        review["reviewers"] = [{**r, "queryRoot": "decisions"} for r in review.get("reviewers") or []]
        settings = review.setdefault("settings", {})
        settings.setdefault("autoApplyDecisionsEnabled", False)
        settings.setdefault("applyActions", [])
        rng = (settings.get("recurrence") or {}).get("range")
        if isinstance(rng, dict) and isinstance(rng.get("startDate"), str):
            rng["startDate"] = rng["startDate"][:10]
            rng.setdefault("numberOfOccurrences", 0)
            rng.setdefault("recurrenceTimeZone", None)
            rng.setdefault("endDate", None)
        return review

    def _review_create(self, version, path, query, body):
        if not isinstance(body, dict) or not body.get("scope") or not body.get("displayName"):
            raise _Fail(400, "BadRequest", "displayName and scope are required.")
        review = {"id": str(uuid.uuid4()), "createdDateTime": _now(), "lastModifiedDateTime": _now(), "status": "NotStarted",
                  **self._as_graph_answers(body), "additionalNotificationRecipients": []}
        self.items(REVIEWS).append(review)
        return self.double._json(copy.deepcopy(review), 201)

    def _review_put(self, version, path, query, body, review_id):
        review = self.find(REVIEWS, review_id)
        if "scope" in body and body["scope"] != review["scope"]:
            raise _Fail(400, "BadRequest", "The scope of an access review definition cannot be updated.")
        review.update(self._as_graph_answers({k: v for k, v in body.items() if k != "scope"}))
        review["lastModifiedDateTime"] = _now()
        return Response(status=204)

    def _delete(self, path: str, object_id: str) -> Response:
        found = self.find(path, object_id)
        self.items(path).remove(found)
        return Response(status=204)

    # -- authentication contexts

    def _context_create(self, version, path, query, body):
        if any(str(x["id"]) == body.get("id") for x in self.items(CONTEXTS)):
            raise _Fail(409, "Conflict", f"The authentication context {body.get('id')} already exists.")
        context = {"id": body["id"], "displayName": body.get("displayName"), "description": body.get("description"),
                   "isAvailable": bool(body.get("isAvailable"))}
        self.items(CONTEXTS).append(context)
        return self.double._json(copy.deepcopy(context), 201)

    def _context_patch(self, version, path, query, body, context_id):
        self.find(CONTEXTS, context_id).update({k: v for k, v in body.items() if k != "id"})
        return Response(status=204)


def serve(double: GraphDouble) -> Governance:
    """Make ``double`` answer the governance write endpoints."""
    return Governance(double)
