"""Email templates: the built-ins (files, the same for every tenant) and each tenant's own.

Built-ins ``builtin-vi`` and ``builtin-en`` are read from ``templates/builtin/<locale>/`` (subject.txt,
body.html, body.txt): in the repository that folder is at the top level; in the Lambda package the build
copies it to ``chalicelib/templates/`` because Chalice ships only app.py and chalicelib/. They are
listed first for every tenant, can be copied (``copy_from``) and chosen as the default, never edited.

Every saved template is compiled and test-rendered in the sandbox first (422 with the line when it
fails). ``is_default`` is not stored on templates: it is the tenant's ``default_template_id``, changed
in the same transaction as the template so the two never disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pynamodb.exceptions import UpdateError

import chalicelib
from chalicelib.adapters import clock, ids
from chalicelib.domain import errors, rendering
from chalicelib.domain.schemas.settings import TemplateIn, TemplatePatch
from chalicelib.services import settings as tenant_settings
from chalicelib.services.settings import TenantChange, builtin_template_id, change_tenant, is_builtin_id
from chalicelib.store import paging
from chalicelib.store.base import transaction
from chalicelib.store.paging import query_page
from chalicelib.store.settings_items import Template
from chalicelib.store.tenants import Tenant
from chalicelib.store.tx import lost_race, retry_on_race

CONTENT_FIELDS = ("name", "subject", "html", "text", "locale")
BUILTIN_NAMES = {"vi": "Mẫu nhắc nợ mặc định (Tiếng Việt)", "en": "Default payment reminder (English)"}
COPY_SUFFIX = {"vi": " (bản sao)", "en": " (copy)"}
LIST_NAME = "templates"


@dataclass(frozen=True)
class Builtin:
    id: str
    name: str
    subject: str
    html: str
    text: str
    locale: str


def template_roots() -> list[Path]:
    """Where the built-in files may be: the repository's top level, then inside the Lambda package."""
    package = Path(chalicelib.__file__).resolve().parent
    return [package.parent / "templates", package / "templates"]


def load_builtins(roots: list[Path]) -> dict[str, Builtin]:
    """The built-in templates from the first root that has them; a missing file is a deployment bug."""
    for root in roots:
        if (root / "builtin").is_dir():
            found = {}
            for locale in BUILTIN_NAMES:
                folder = root / "builtin" / locale
                found[builtin_template_id(locale)] = Builtin(
                    id=builtin_template_id(locale), name=BUILTIN_NAMES[locale],
                    subject=(folder / "subject.txt").read_text(encoding="utf-8").strip(),
                    html=(folder / "body.html").read_text(encoding="utf-8"),
                    text=(folder / "body.txt").read_text(encoding="utf-8"), locale=locale)
            return found
    raise FileNotFoundError(f"built-in templates not found under any of {[str(root) for root in roots]}")


@lru_cache(maxsize=1)
def builtins() -> dict[str, Builtin]:
    return load_builtins(template_roots())


# --- views and sources -----------------------------------------------------------------------------

def _view(item: Template | Builtin, default_id: str) -> dict[str, Any]:
    builtin = isinstance(item, Builtin)
    template_id = item.id if isinstance(item, Builtin) else item.template_id
    return {
        "id": template_id, "name": item.name, "subject": item.subject, "html": item.html, "text": item.text,
        "locale": item.locale, "is_default": template_id == default_id, "is_builtin": builtin,
        "created_at": None if builtin else item.created_at, "updated_at": None if builtin else item.updated_at,
    }


def _find(tenant_id: str, template_id: str) -> Template | Builtin | None:
    if is_builtin_id(template_id):
        return builtins()[template_id]
    try:
        return Template.get(tenant_id, template_id)
    except Template.DoesNotExist:
        return None


def _get_own(tenant_id: str, template_id: str) -> Template:
    if is_builtin_id(template_id):
        raise errors.Conflict(detail="Built-in templates cannot be changed; copy one with copy_from instead.")
    found = _find(tenant_id, template_id)
    if not isinstance(found, Template):
        raise errors.NotFound(detail=f"No template {template_id}.")
    return found


def source_for(tenant_id: str, template_id: str) -> rendering.TemplateSource:
    """The renderable source of one template (for preview and send); 404 when it is not the tenant's."""
    found = _find(tenant_id, template_id)
    if found is None:
        raise errors.NotFound(detail=f"No template {template_id}.")
    return _source(found)


def _source(item: Template | Builtin) -> rendering.TemplateSource:
    template_id = item.id if isinstance(item, Builtin) else item.template_id
    # The content hash keeps the compile cache right even when two edits land within one second.
    digest = hashlib.sha256("\x00".join((item.subject, item.html, item.text)).encode()).hexdigest()[:16]
    stamp = "builtin" if isinstance(item, Builtin) else item.updated_at
    return rendering.TemplateSource(subject=item.subject, html=item.html, text=item.text, locale=item.locale,
                                    key=f"{template_id}:{stamp}:{digest}")


def get_template(tenant_id: str, template_id: str) -> dict[str, Any]:
    found = _find(tenant_id, template_id)
    if found is None:
        raise errors.NotFound(detail=f"No template {template_id}.")
    return _view(found, tenant_settings.default_template_id(tenant_settings.read_tenant(tenant_id)))


def list_templates(tenant_id: str, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """Built-ins first, then the tenant's own in creation order (a page may hold both)."""
    default_id = tenant_settings.default_template_id(tenant_settings.read_tenant(tenant_id))
    head: list[Template | Builtin] = list(builtins().values())
    items, next_cursor = head_then_query(
        head, lambda start, size: query_page(Template, lambda **kw: Template.query(tenant_id, **kw),
                                             ("tenant_id", "template_id"), list_name=LIST_NAME,
                                             tenant_id=tenant_id, cursor=start, limit=size),
        list_name=LIST_NAME, tenant_id=tenant_id, cursor=cursor, limit=limit)
    return [_view(item, default_id) for item in items], next_cursor


def head_then_query(head: list[Any], query: Any, *, list_name: str, tenant_id: str, cursor: str | None,
                    limit: int) -> tuple[list[Any], str | None]:
    """A page of ``head`` (fixed items every tenant sees) followed by a paged Query.

    While the head is being served the cursor says how many head items were served (signed like every
    cursor, under its own list name); after that it is the Query's own cursor.
    """
    served, query_cursor = 0, None
    if cursor:
        try:
            served = int(paging.decode(cursor, f"{list_name}#head", tenant_id).get("served", 0))
        except errors.BadRequest:
            query_cursor = cursor  # not a head cursor: the Query checks it
            served = len(head)
    page = head[served:served + limit]
    room = limit - len(page)
    if room == 0:
        more = served + len(page) < len(head) or bool(query(None, 1)[0])
        next_cursor = paging.encode(f"{list_name}#head", tenant_id, {"served": served + len(page)}) if more else None
        return page, next_cursor
    items, next_cursor = query(query_cursor, room)
    return page + items, next_cursor


# --- changes ---------------------------------------------------------------------------------------

def _checked_source(fields: dict[str, Any]) -> None:
    rendering.compile_check(rendering.TemplateSource(subject=fields["subject"], html=fields["html"],
                                                     text=fields["text"], locale=fields["locale"], key="check"))


def create(tenant_id: str, body: TemplateIn) -> dict[str, Any]:
    base = None
    if body.copy_from:
        base = _find(tenant_id, body.copy_from)
        if base is None:
            raise errors.invalid("copy_from", f"no template {body.copy_from}")
    fields: dict[str, Any] = {}
    missing = []
    for name in CONTENT_FIELDS:
        value = getattr(body, name)
        if value is None and base is not None:
            value = getattr(base, name)
            if name == "name":
                value = (value + COPY_SUFFIX.get(body.locale or base.locale, " (copy)"))[:200]
        if value is None and name == "locale":
            value = "vi"
        if value is None:
            missing.append(errors.FieldError(name, "is required (or give copy_from)"))
        fields[name] = value
    if missing:
        raise errors.ValidationFailed(detail="; ".join(f"{e.field}: {e.message}" for e in missing), errors=missing)
    _checked_source(fields)
    now = clock.now_iso()
    item = Template(tenant_id, ids.new_id("tpl"), created_at=now, updated_at=now, **fields)
    if body.is_default:
        def save(tx: Any) -> None:
            tx.save(item, condition=Template.template_id.does_not_exist())

        change_tenant(tenant_id, lambda tenant: TenantChange({"default_template_id": item.template_id}, [save]))
        default_id = item.template_id
    else:
        item.save(condition=Template.template_id.does_not_exist())
        default_id = tenant_settings.default_template_id(tenant_settings.read_tenant(tenant_id))
    return _view(item, default_id)


def update(tenant_id: str, template_id: str, patch: TemplatePatch) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)
    make_default = changes.pop("is_default", None)
    for name, value in changes.items():
        if value is None:
            raise errors.invalid(name, "cannot be null")

    def prepared() -> tuple[Template, list[Any]]:
        item = _get_own(tenant_id, template_id)
        _checked_source({name: changes.get(name, getattr(item, name)) for name in CONTENT_FIELDS})
        # Only the changed attributes are written, so concurrent edits of different fields both land.
        actions = [getattr(Template, name).set(value) for name, value in changes.items()]
        return item, [*actions, Template.updated_at.set(clock.now_iso())]

    if make_default is None:
        item, actions = prepared()
        try:
            item.update(actions=actions, condition=Template.template_id.exists())
        except UpdateError as exc:
            if lost_race(exc):
                raise errors.NotFound(detail=f"No template {template_id}.") from None
            raise
        return get_template(tenant_id, template_id)

    def decide(tenant: Tenant) -> TenantChange:
        # Read inside the retried step: a template deleted meanwhile is a 404 here, not an endless retry.
        item, actions = prepared()

        def write(tx: Any) -> None:
            tx.update(item, actions=actions, condition=Template.template_id.exists())

        if make_default:
            return TenantChange({"default_template_id": template_id}, [write])
        if tenant_settings.default_template_id(tenant) == template_id:
            return TenantChange({"default_template_id": None}, [write])  # back to the built-in default
        return TenantChange({}, [write])

    change_tenant(tenant_id, decide)
    return get_template(tenant_id, template_id)


def delete(tenant_id: str, template_id: str) -> None:
    def step() -> None:
        item = _get_own(tenant_id, template_id)
        tenant = tenant_settings.read_tenant(tenant_id)
        if tenant.default_template_id == template_id:
            raise errors.Conflict(detail="This is the default template; choose another default first.")
        if tenant_settings.auto_reminders_of(tenant).get("template_id") == template_id:
            raise errors.Conflict(detail="Automatic reminders use this template; change them first.")
        with transaction() as tx:
            tenant_settings.unchanged_check(tenant)(tx)
            tx.delete(item, condition=Template.template_id.exists())

    retry_on_race(step)
