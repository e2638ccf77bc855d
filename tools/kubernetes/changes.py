"""What a rollback or a restart changes, from -> to, for any workload kind: the preview
and the result of the same call say the same thing. Pure."""

from __future__ import annotations

from tools.kubernetes.history import Revision
from tools.kubernetes.rollout import RESTARTED_AT
from tools.outputs import FromTo, RestartChange, RollbackChange
from tools.real.change import Change


def dry_run_note(dry_run: bool) -> tuple[str, ...]:
    return ("server-side dry run (dryRun=All) accepted; nothing changed yet",) if dry_run \
        else ()


def rollback_change(key: str, current: Revision, target: Revision, image_after: str,
                    replaced: list[str], order: str, dry_run: bool) -> Change:
    health = "healthy" if target.healthy else f"UNHEALTHY: {target.health}"
    return Change(
        summary=f"rollback {key}: revision {current.revision} -> {target.revision}",
        details=(
            f"image {current.image} -> {image_after}",
            f"revision {target.revision} ({health} in rollout history): "
            f"{target.change or 'no change-cause recorded'}",
            f"pods replaced, {order}: {', '.join(replaced) or 'none'}",
            *dry_run_note(dry_run),
        ),
        changed=RollbackChange(
            revision=FromTo(before=current.revision, after=target.revision),
            image=FromTo(before=current.image, after=image_after),
            change=target.change,
            target_healthy=target.healthy,
            pods_replaced=replaced,
        ),
    )


def restart_change(key: str, pods: list[str], image: str, stamp: str, order: str | None,
                   dry_run: bool) -> Change:
    how = f", {order}" if order else ""
    return Change(
        summary=f"rolling restart of {key}: {len(pods)} pods restart",
        details=(
            f"pods restart{how}: {', '.join(pods) or 'none'}",
            f"image {image} unchanged; pod template stamped {RESTARTED_AT}={stamp}",
            *dry_run_note(dry_run),
        ),
        changed=RestartChange(pods_restarted=pods, restarted_at=stamp,
                              image=FromTo(before=image, after=image)),
    )
