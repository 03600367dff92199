"""AccessReviews: a recurring access review (``ztb.providers.access_reviews``) per ``accessReviewScheduleDefinition`` control."""

from __future__ import annotations

from typing import Optional

import pulumi

from ztb.deploy.args import ControlsArgs, dynamic_props
from ztb.model.controls import Kind
from ztb.providers.access_reviews import BODY, AccessReview


class AccessReviewsArgs(ControlsArgs):
    """The access review controls (PRIV-REV-*)."""

    KIND = Kind.ACCESS_REVIEW


class AccessReviews(pulumi.ComponentResource):
    """One ``AccessReview`` per access review control; each child is named after its control ID (permanent)."""

    review_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AccessReviewsArgs, graph_url: Optional[pulumi.Input[str]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__("ztb:index:AccessReviews", name, {}, opts)
        self.review_ids = {}
        for control in args.controls:
            props = dynamic_props(control, control.desired, BODY, args.group_ids, graph_url)
            review = AccessReview(f"{name}-{control.id.lower()}", props, opts=pulumi.ResourceOptions(parent=self))
            self.review_ids[control.id] = review.id
        self.register_outputs({"reviewIds": self.review_ids})
