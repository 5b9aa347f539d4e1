"""Sign-off by link: named approvers get personal, single-use, expiring links to sign one decision version.

The approver needs no account. The page shows exactly what is signed — the version, the fingerprint of
its content (``version_sha256``) and the options with their figures — and records the name, role,
comment and time. The first signature freezes the version (as a member's sign-off does); editing it
then creates a new version, which needs new invitations.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from decisions.models import ApprovalInvite, DecisionRecord
from decisions.report_inputs import (
    baseline_record,
    decision_baseline,
    decision_runs,
    decision_targets,
    freeze_signed,
    option_labels,
)
from planner.selectors.compare import run_judged
from simulation.model.loading import canonical_sha256
from workshop.charts import key_figures

APPROVAL_SALT = "decisions.approval-invite"
MAX_APPROVAL_DAYS = 30
MAX_COMMENT = 5_000
SIGNED_FIELDS = ("title", "context", "rationale", "consequences", "follow_ups", "version")


class ApprovalError(Exception):
    """A link that cannot be used; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def version_sha256(decision: DecisionRecord) -> str:
    """The fingerprint of what an approver signs: the decision's fields, the chosen option and each
    option's run (id, scenario fingerprint, seed, trials), the targets that judge them and the baseline
    their premiums are measured against — not its sign-offs or status."""
    runs = decision_runs(decision)
    content = {
        **{name: getattr(decision, name) for name in SIGNED_FIELDS},
        "targets": decision_targets(decision),
        "baseline": baseline_record(decision_baseline(decision)),
        "chosen_run": decision.chosen_run_id,
        "runs": [[run.pk, (run.results or {}).get("scenario_sha256"), run.seed, run.trials] for run in runs],
    }
    return canonical_sha256(json.loads(json.dumps(content, cls=DjangoJSONEncoder)))


def approval_invite(
    *, decision: DecisionRecord, user, name: str, role: str = "", email: str = "", days: int = 7
) -> ApprovalInvite:
    """A personal link for ``name`` to sign this version (1–30 days); the version needs a chosen option
    and must be the newest."""
    if not name.strip():
        raise ValidationError({"name": "Name the approver."})
    if not 1 <= days <= MAX_APPROVAL_DAYS:
        raise ValidationError({"days": f"Between 1 and {MAX_APPROVAL_DAYS} days."})
    if decision.chosen_run_id is None:
        raise ValidationError("Choose an option before inviting approvers.")
    if decision.next_versions.exists():
        raise ValidationError("A newer version of this decision exists; invite approvers to that one.")
    with transaction.atomic():
        invite = ApprovalInvite(
            decision=decision,
            name=name.strip()[:200],
            role=role.strip()[:200],
            email=email.strip(),
            content_sha256=version_sha256(decision),
            expires_at=timezone.now() + timedelta(days=days),
            invited_by=user,
        )
        invite.full_clean(exclude=["token"])
        invite.save()
        invite.token = signing.dumps({"invite": invite.pk, "nonce": secrets.token_hex(8)}, salt=APPROVAL_SALT)
        invite.save(update_fields=["token"])
    return invite


def approval_for_token(*, token: str) -> ApprovalInvite:
    """The usable invite the token names; ``ApprovalError``: 403 forged, 410 used or expired, 409 changed."""
    try:
        invite_id = signing.loads(token, salt=APPROVAL_SALT)["invite"]
    except (signing.BadSignature, KeyError, TypeError):
        raise ApprovalError("This sign-off link is not valid.", 403) from None
    invite = ApprovalInvite.objects.select_related("decision__workspace").filter(pk=invite_id, token=token).first()
    if invite is None:
        raise ApprovalError("This sign-off link no longer exists.", 410)
    if invite.signed_at is not None:
        raise ApprovalError(f"This link was used: {invite.name} signed on {invite.signed_at:%Y-%m-%d %H:%M} UTC.", 410)
    if invite.expires_at <= timezone.now():
        raise ApprovalError("This sign-off link has expired. Ask for a new one.", 410)
    if version_sha256(invite.decision) != invite.content_sha256:
        raise ApprovalError("This decision version changed after you were invited; ask for a new link.", 409)
    return invite


def approval_sign(*, token: str, comment: str = "") -> ApprovalInvite:
    """Sign once: records the time and comment and freezes the version (``ApprovalError`` as above)."""
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": f"At most {MAX_COMMENT:,} characters."})
    with transaction.atomic():
        invite = approval_for_token(token=token)
        invite = ApprovalInvite.objects.select_for_update().get(pk=invite.pk)
        if invite.signed_at is not None:  # a concurrent request signed first
            raise ApprovalError("This link was used.", 410)
        invite.signed_at = timezone.now()
        invite.comment = comment
        invite.save(update_fields=["signed_at", "comment"])
        decision = DecisionRecord.objects.select_for_update().get(pk=invite.decision_id)
        if not decision.is_frozen:  # the targets and baseline signed against, kept from now on
            decision.save(update_fields=freeze_signed(decision))
    invite.decision.refresh_from_db()
    return invite


def signed_options(decision: DecisionRecord) -> list[dict[str, Any]]:
    """The options as the approver sees them: label, chosen or not, verdict and key figures."""
    runs = decision_runs(decision)
    labels = option_labels(runs)
    targets, baseline = decision_targets(decision), decision_baseline(decision)
    out = []
    for run in runs:
        results = run_judged(run=run, targets=targets, baseline=baseline)
        out.append(
            {
                "label": labels[run.pk],
                "chosen": run.pk == decision.chosen_run_id,
                "targets_met": bool(results.targets_met),
                "missed": [v.text for v in results.verdicts if not v.met],
                "figures": key_figures(results),
                "run": run,
            }
        )
    return out
