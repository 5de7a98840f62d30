"""The merchant's policy pages, at /staff/policy (admin).

The versions, one version, a diff of two, activating or rolling back (after a confirmation
page), and the editor with its dry run. Saving calls `services.save_policy`, checking calls
`policy.load_policy` and the dry run `services.dry_run`: the same calls `flask policy load`
and `flask policy explain` make, so the browser and the CLI refuse the same documents with
the same words.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as BaseResponse

from returns_portal import policy
from returns_portal.accounts.access import current_actor, has_role, role_required
from returns_portal.accounts.models import Role
from returns_portal.inputs import parse_int
from returns_portal.store import services, versions
from returns_portal.store.forms import ActivateForm, DiffForm, DocumentNotJSON, PolicyEditorForm
from returns_portal.store.models import PolicyVersion

bp = Blueprint("policy_admin", __name__, url_prefix="/staff/policy")
ADMIN = (Role.ADMIN,)
Page = str | tuple[str, int]


@bp.app_template_global("policy_value")
def _policy_value(value: Any) -> str:
    return _("(not set)") if value is versions.MISSING else versions.show_value(value)


def _version(number: int) -> PolicyVersion:
    try:
        return versions.get_version(number)
    except versions.VersionNotFound:
        abort(404)


@bp.get("")
@role_required(*ADMIN)
def index() -> str:
    """List the active version and every earlier one, newest first."""
    page = parse_int(request.args.get("page"), minimum=1) or 1
    return render_template("admin/policy/index.html", view=versions.overview(page))


@bp.get("/versions/<int:number>")
@role_required(*ADMIN)
def version(number: int) -> str:
    """Show one saved version: who saved it when, what it changed, its whole document."""
    row = versions.version_row(_version(number))
    return render_template(
        "admin/policy/version.html",
        row=row,
        previous=versions.previous_version(number),
        active=services.active_policy_version(),
        text=versions.show_document(row.version.document),
    )


@bp.get("/diff")
@role_required(*ADMIN)
def diff() -> Page:
    """Compare two saved versions key by key."""
    numbers = versions.all_version_numbers()
    form = DiffForm(request.args)
    choices = [
        (str(n), _("Version %(n)d (active)", n=n) if on else _("Version %(n)d", n=n))
        for n, on in numbers
    ]
    form.from_version.choices = choices
    form.to_version.choices = choices
    if not request.args and len(numbers) >= 2:
        form.from_version.data, form.to_version.data = str(numbers[1][0]), str(numbers[0][0])
    older = parse_int(form.from_version.data, minimum=1)
    newer = parse_int(form.to_version.data, minimum=1)
    if older is None or newer is None:
        return render_template("admin/policy/diff.html", form=form, changes=None, numbers=numbers)
    try:
        before, after = versions.get_version(older), versions.get_version(newer)
    except versions.VersionNotFound as exc:
        message = _("There is no version %(n)s.", n=exc.args[0])
        return render_template(
            "admin/policy/diff.html", form=form, changes=None, numbers=numbers, error=message
        ), 404
    return render_template(
        "admin/policy/diff.html",
        form=form,
        numbers=numbers,
        before=before,
        after=after,
        changes=versions.diff_documents(before.document, after.document),
    )


def _confirm_page(target: PolicyVersion, form: ActivateForm, **extra: Any) -> str:
    current = services.active_policy_version()
    if not form.is_submitted():
        form.expected.data = str(current.version) if current is not None else ""
    changes = (
        versions.diff_documents(current.document, target.document) if current is not None else ()
    )
    return render_template(
        "admin/policy/activate.html",
        target=target,
        current=current,
        changes=changes,
        form=form,
        **extra,
    )


@bp.get("/versions/<int:number>/activate")
@role_required(*ADMIN)
def confirm_activate(number: int) -> str:
    """Ask before making a saved version active: what would change, and a button to do it."""
    return _confirm_page(_version(number), ActivateForm())


@bp.post("/versions/<int:number>/activate")
@role_required(*ADMIN)
def activate(number: int) -> Page | BaseResponse:
    """Make a saved version the active policy (a roll-back when it is older), audited."""
    target = _version(number)
    form = ActivateForm()
    if not form.validate_on_submit():
        flash(_("The confirmation expired. Check the change and confirm again."))
        return redirect(url_for("policy_admin.confirm_activate", number=number))
    try:
        done = versions.activate_version(
            number, current_actor(), expected_active=parse_int(form.expected.data, minimum=1)
        )
    except versions.ActivationConflict as exc:
        if exc.active == number:
            flash(_("Version %(n)d is already active.", n=number))
            return redirect(url_for("policy_admin.version", number=number))
        flash(
            _(
                "Another admin made version %(n)s active meanwhile. Check the change again.",
                n=exc.active,
            )
        )
        return redirect(url_for("policy_admin.confirm_activate", number=number))
    except policy.PolicyRefused as exc:
        return _confirm_page(target, form, refused=exc), 400
    except policy.PolicyInputError as exc:
        return _confirm_page(target, form, invalid=exc), 400
    flash(_("Policy version %(n)d (pack %(pack)s) is now active.", n=done.version, pack=done.pack))
    return redirect(url_for("policy_admin.index"))


def _editor(form: PolicyEditorForm, status: int = 200, **extra: Any) -> Page:
    form.add_blank_rows()
    errors: dict[str, list[str]] = {}
    for field in form:
        subfields = [sub for row in field for sub in row] if field.name == "windows" else [field]
        for sub in subfields:
            for message in sub.errors or ():
                errors.setdefault(sub.id, []).append(str(message))
    # The policy's own messages, at the input that holds the key they name.
    invalid: policy.PolicyInputError | None = extra.get("invalid")
    refused: policy.PolicyRefused | None = extra.get("refused")
    for path, messages in invalid.errors.items() if invalid else ():
        for message in messages:
            errors.setdefault(form.field_for(path), []).append(f"{path}: {message}")
    for violation in refused.violations if refused else ():
        errors.setdefault(form.field_for(violation.rule), []).append(
            _(
                "%(rule)s cuts %(right)s: %(message)s",
                rule=violation.rule,
                right=violation.right,
                message=violation.message,
            )
        )
    dry_invalid: services.DryRunInvalid | None = extra.get("dry_invalid")
    for path, messages in dry_invalid.errors.items() if dry_invalid else ():
        target = form.order_number.id if path == "order_number" else "dry-run"
        for message in messages:
            errors.setdefault(target, []).append(f"{path}: {message}")
    if extra.get("not_json"):
        errors.setdefault(form.document.id, []).append(
            _("The document is not valid JSON (%(error)s).", error=extra["not_json"])
        )
    return render_template(
        "admin/policy/edit.html",
        form=form,
        errors=errors,
        active=services.active_policy_version(),
        **extra,
    ), status


@bp.get("/edit")
@role_required(*ADMIN)
def edit() -> Page:
    """Open the editor on the active document, or on a saved version's (?from=N)."""
    form = PolicyEditorForm()
    start = parse_int(request.args.get("from"), minimum=1)
    if start is not None:
        form.fill(_version(start).document)
    else:
        form.fill(versions.active_document())
    return _editor(form, started_from=start)


@bp.errorhandler(CSRFError)
def form_expired(exc: CSRFError) -> Page:
    """Give an admin's edit back as typed when its form token expired; else say it plainly.

    The token is checked before the view's role check runs, so the role is checked here.
    """
    if request.endpoint == "policy_admin.save" and has_role(current_user, *ADMIN):
        return _editor(PolicyEditorForm(), 400, expired=True)
    return render_template("accounts/error.html", code=exc.code), exc.code or 400


@bp.post("/edit")
@role_required(*ADMIN)
def save() -> Page | BaseResponse:
    """Try the edited document on an order, or save it as the next version."""
    form = PolicyEditorForm()
    if not form.validate_on_submit():
        return _editor(form, 400)
    try:
        document = form.edited_document()
    except DocumentNotJSON as exc:
        return _editor(form, 400, not_json=str(exc))
    if not form.save.data:
        return _try(form, document)
    before = services.active_policy_version()
    try:
        saved = services.save_policy(document, actor=current_actor())
    except policy.PolicyRefused as exc:
        return _editor(form, 400, refused=exc)
    except policy.PolicyInputError as exc:
        return _editor(form, 400, invalid=exc)
    if before is not None and before.id == saved.id:
        flash(_("Policy unchanged: version %(n)d is already active.", n=saved.version))
    else:
        flash(
            _(
                "Policy version %(n)d (pack %(pack)s) is now active.",
                n=saved.version,
                pack=saved.pack,
            )
        )
    return redirect(url_for("policy_admin.version", number=saved.version))


def _try(form: PolicyEditorForm, document: Any) -> Page:
    """Check the edited document; with an order number, also decide that order under it."""
    try:
        if not (form.order_number.data or "").strip():
            _rules, changes = versions.preview(document)
            return _editor(form, checked=changes)
        result = versions.dry_run_order(
            document,
            form.order_number.data or "",
            reason=form.reason.data or "",
            resolution=form.resolution.data or "",
            method=form.method.data or "",
        )
    except policy.PolicyRefused as exc:
        return _editor(form, 400, refused=exc)
    except policy.PolicyInputError as exc:
        return _editor(form, 400, invalid=exc)
    except services.DryRunInvalid as exc:
        return _editor(form, 400, dry_invalid=exc)
    return _editor(form, result=result, checked=result.changes)
