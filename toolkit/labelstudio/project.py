"""`toolkit labelstudio init`: create or update a project from the label schema and the annotator guidelines.

What the annotators get from it: the labelling config; the guidelines in the Instructions modal, with their lists
and tables (toolkit.labelstudio.guidelines); a description naming the purpose and the labels; and a Submit button
that stays disabled on an empty annotation. The last is the project setting `enable_empty_annotation`: measured on
Label Studio 1.23.2, `required="true"` on a `<Labels>` control is accepted and ignored (only Choices, TextArea,
Number, Rating, DateTime and Taxonomy honour it), so the config cannot refuse a submission without a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, connect, server_reason
from toolkit.labelstudio.guidelines import render_guidelines
from toolkit.schema import DEFAULT_SCHEMA, Schema, labeling_config, load_schema

__all__ = ["InitResult", "init_project", "instructions_html", "project_description", "project_settings"]

DEFAULT_INSTRUCTIONS = (
    "<p>Label entities (PER, ORG, LOC, MONEY, PERCENT, DATE) on the exact characters that name them, then select "
    "each claim sentence and pick its status. The full guidelines live in annotations/GUIDELINES.md.</p>"
)


@dataclass(frozen=True)
class InitResult:
    project_id: int
    title: str
    url: str
    created: bool
    config_changed: bool
    instructions_changed: bool
    guidelines: Path | None
    settings_changed: bool = False  # the description or the refusal of empty annotations

    @property
    def action(self) -> str:
        if self.created:
            return "created"
        if self.config_changed or self.instructions_changed or self.settings_changed:
            return "updated"
        return "unchanged"


def instructions_html(guidelines: Path) -> tuple[str, Path | None]:
    """The guidelines as HTML for the annotators' instruction panel (Label Studio shows HTML, not Markdown)."""
    if not guidelines.is_file():
        return DEFAULT_INSTRUCTIONS, None
    return render_guidelines(guidelines.read_text(encoding="utf-8")), guidelines


def project_description(schema: Schema) -> str:
    """The project's description (plain text, shown on its card in the project list): purpose, then labels."""
    parts = [schema.description.strip()] if schema.description.strip() else []
    parts.append(f"Entities: {', '.join(schema.entities.values)}.")
    parts.append(f"Claim status: {', '.join(schema.claims.values)}; a sentence with no claim stays unmarked.")
    parts.append(
        f"Label schema version {schema.version}; guidelines under Instructions. "
        "Set by `toolkit labelstudio init` from the schema: edit the schema, not this text."
    )
    return " ".join(parts)


def project_settings(schema: Schema) -> dict[str, object]:
    """The project fields `init` owns besides the config and the instructions."""
    return {
        "description": project_description(schema),
        # The guidelines forbid an empty Submit (a task of boilerplate is skipped): the editor disables Submit
        # and Ctrl+Enter while the annotation has no region.
        "enable_empty_annotation": False,
    }


def _normalise(config: str | None) -> str:
    return "\n".join(line.rstrip() for line in (config or "").strip().splitlines())


def init_project(
    title: str,
    *,
    schema_path: Path = DEFAULT_SCHEMA,
    guidelines: Path | None = None,
    client: Client | None = None,
) -> InitResult:
    """Create the project `title`, or bring an existing one up to date with the schema and the guidelines.

    A config change is first validated by the server against the project's annotations; Label Studio's
    `projects.update` would otherwise accept a config that orphans labels already in use.
    """
    schema = load_schema(schema_path)
    config = labeling_config(schema)
    guidelines_path = guidelines or Path(schema.guidelines)
    instructions, used = instructions_html(guidelines_path)
    settings = project_settings(schema)
    client = client or connect()
    sdk = client.sdk
    existing = client.find_project(title)
    if existing is None:
        project = client.call(
            f"creating project {title!r}",
            sdk.projects.create,
            title=title,
            label_config=config,
            expert_instruction=instructions,
            show_instruction=True,
            # Annotators correct pre-annotations rather than start from nothing.
            show_collab_predictions=True,
            **settings,
            retry=False,
        )
        return InitResult(project.id, title, _url(client, project.id), True, True, True, used, True)
    current = client.call(f"reading project {title!r}", sdk.projects.get, existing.id)
    config_changed = _normalise(current.label_config) != _normalise(config)
    instructions_changed = (current.expert_instruction or "") != instructions
    settings_changed = {key: value for key, value in settings.items() if getattr(current, key, None) != value}
    if config_changed:
        from label_studio_sdk.core.api_error import ApiError

        try:
            sdk.projects.validate_label_config(existing.id, label_config=config)
        except ApiError as error:
            if error.status_code == 400:
                raise ToolkitError(
                    f"project {title!r}: the new labelling config was refused, nothing changed: "
                    f"{server_reason(error.body)}"
                ) from None
            raise ToolkitError(client.describe(error, f"validating the config of {title!r}")) from None
        except Exception as error:
            raise ToolkitError(client.describe(error, f"validating the config of {title!r}")) from None
    if config_changed or instructions_changed or settings_changed:
        changes = dict(settings_changed)
        if config_changed:
            changes["label_config"] = config
        if instructions_changed:
            changes["expert_instruction"] = instructions
            changes["show_instruction"] = True
        client.call(f"updating project {title!r}", sdk.projects.update, existing.id, **changes)
    return InitResult(
        existing.id,
        title,
        _url(client, existing.id),
        False,
        config_changed,
        instructions_changed,
        used,
        bool(settings_changed),
    )


def _url(client: Client, project_id: int) -> str:
    return f"{client.url}/projects/{project_id}/data"
