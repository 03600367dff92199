"""Access reviews (Graph v1.0 ``accessReviewScheduleDefinition``): pulumi-azuread has no resource for them.

* create: ``POST /identityGovernance/accessReviews/definitions`` with the Graph body (201 answers
  the definition, its ``id`` is the resource ID).
* update: Graph's update is ``PUT /identityGovernance/accessReviews/definitions/{id}`` with the
  whole updatable body (display name, descriptions, reviewers, settings); ``scope`` cannot change
  (what a series reviews is its identity), so a new scope replaces the review.
* read (refresh, import by definition ID): the live definition, projected on the stack's keys.
* delete: ``DELETE .../definitions/{id}``; a review already gone (404) is not an error.

The recurrence's ``startDate`` is set at creation only: once a series has started Graph keeps
its dates, so a later change of ``ztb:accessReviews.startDate`` is not a change (like a group's
``mailNickname``).

Resource ID: the definition ID. Inputs: ``displayName``, ``descriptionForAdmins``,
``descriptionForReviewers``, ``scope``, ``reviewers``, ``settings`` (Graph's JSON), optional
``controlId``, ``graphUrl``. Outputs add ``status``.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ztb.compare.normalize import compare
from ztb.model.reviews import without_start
from ztb.providers import (
    OBSERVED, any_unknown_input, carry_pass_through, dig, failing_as, graph_for, has_unknowns, is_unknown, known_str,
    label, ProviderError, require, unless_gone, wire,
)

KIND = "accessReviewScheduleDefinition"
DEFINITIONS = "/identityGovernance/accessReviews/definitions"
BODY = ("displayName", "descriptionForAdmins", "descriptionForReviewers", "scope", "reviewers", "settings")
#: Graph limits reviewer-facing descriptions to 256 characters (accessreviewset-post-definitions).
MAX_REVIEWER_TEXT = 256


def _body(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in BODY if props.get(k) is not None}


class AccessReviewProvider(ResourceProvider):
    """One recurring access review series; see the module docstring."""

    serialize_as_secret_always = False

    @staticmethod
    def _get(g, review_id: str) -> Optional[dict]:
        return unless_gone(lambda: g.get_json(f"{DEFINITIONS}/{quote(review_id)}"))

    @staticmethod
    def _outs(props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        outs = {k: live[k] for k in BODY if k in live}
        outs.update({"definitionId": live.get("id"), "status": live.get("status"), OBSERVED: True})
        return carry_pass_through(props, outs)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Refuse what Graph would refuse or what would defeat the review; unknowns pass through."""
        failures = []
        name = news.get("displayName")
        if not is_unknown(name) and not known_str(name):
            failures.append(CheckFailure("displayName", "give the review a display name"))
        query = dig(news, "scope", "query")
        if not is_unknown(query) and not known_str(query):
            failures.append(CheckFailure("scope", "give the scope as an accessReviewQueryScope with a query"))
        reviewers = news.get("reviewers")
        if not has_unknowns(reviewers) and not (isinstance(reviewers, list) and reviewers):
            failures.append(CheckFailure("reviewers", "name the reviewers: without them Graph makes it a self-review, where admins confirm their own access"))
        recurrence = dig(news, "settings", "recurrence", "pattern", "type")
        if not is_unknown(recurrence) and not known_str(recurrence):
            failures.append(CheckFailure("settings", "give settings.recurrence: a review that runs once does not keep access in check"))
        text = news.get("descriptionForReviewers")
        if isinstance(text, str) and not is_unknown(text) and len(text) > MAX_REVIEWER_TEXT:
            failures.append(CheckFailure("descriptionForReviewers", f"Graph allows {MAX_REVIEWER_TEXT} characters in emails to reviewers"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A change where the body differs (start date aside); a replacement when the scope does."""
        if any_unknown_input(news):
            replaces = ["scope"] if has_unknowns(news.get("scope")) else []
            return DiffResult(changes=True, replaces=replaces, stables=["definitionId"], delete_before_replace=False)
        new, old = without_start(_body(news)), without_start(_body(olds))
        scope_changed = bool(compare(KIND, {"scope": new.get("scope")}, {"scope": old.get("scope")}))
        changes = compare(KIND, new, old)
        return DiffResult(changes=bool(changes), replaces=["scope"] if scope_changed else [], stables=["definitionId"],
                          delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        with failing_as(label(props, "access review")), graph_for(props) as g:
            for key in ("displayName", "scope", "reviewers", "settings"):
                require(props, key)
            answer = g.post_json(DEFINITIONS, wire(_body(props)))
            if not isinstance(answer, dict) or not known_str(answer.get("id")):
                raise ProviderError(f"POST {DEFINITIONS} answered no definition id; nothing can be tracked, check the tenant for a review named {props['displayName']!r}")
            return CreateResult(answer["id"], self._outs(props, answer))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        with failing_as(label(news, f"access review {id_}")), graph_for(news) as g:
            live = self._get(g, id_)
            if live is None:
                raise ProviderError(f"access review {id_} is not in the tenant any more; run `pulumi refresh`")
            body = wire(_body(news))
            # The start date is create-only: send the live one so Graph keeps the series' dates.
            live_range = dig(live, "settings", "recurrence", "range")
            if isinstance(live_range, dict) and isinstance(dig(body, "settings", "recurrence", "range"), dict):
                body["settings"]["recurrence"]["range"]["startDate"] = live_range.get("startDate")
            body.pop("scope", None)  # not updatable; a different scope was a replacement
            answer = g.put_json(f"{DEFINITIONS}/{quote(id_)}", body)
            after = answer if isinstance(answer, dict) and answer.get("id") else self._get(g, id_) or {**live, **body}
            return UpdateResult(self._outs(news, after))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        importing = not props.get(OBSERVED)
        with failing_as(label(props, f"access review {id_}")), graph_for(props) as g:
            live = self._get(g, id_)
        if live is None:
            return ReadResult(None, {})
        outs = self._outs(props, live)
        inputs = None
        if importing:
            inputs = carry_pass_through(props, {k: outs[k] for k in BODY if k in outs})
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with failing_as(label(props, f"access review {id_}")), graph_for(props) as g:
            unless_gone(lambda: g.delete(f"{DEFINITIONS}/{quote(id_)}"))


class AccessReview(pulumi.dynamic.Resource, module="ztb", name="AccessReview"):
    """One recurring access review series (ID: the definition ID)."""

    def __init__(self, name: str, props: dict[str, Any], opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(AccessReviewProvider(), name, props, opts)
