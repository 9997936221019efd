"""`toolkit labelstudio init`: create or update a project from the label schema and the annotator guidelines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.labelstudio.client import Client, connect, server_reason
from toolkit.schema import DEFAULT_SCHEMA, labeling_config, load_schema

__all__ = ["InitResult", "init_project", "instructions_html"]

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

    @property
    def action(self) -> str:
        if self.created:
            return "created"
        if self.config_changed or self.instructions_changed:
            return "updated"
        return "unchanged"


def instructions_html(guidelines: Path) -> tuple[str, Path | None]:
    """The guidelines as HTML for the annotators' instruction panel (Label Studio shows HTML, not Markdown)."""
    if not guidelines.is_file():
        return DEFAULT_INSTRUCTIONS, None
    from markdown_it import MarkdownIt

    text = guidelines.read_text(encoding="utf-8")
    return MarkdownIt("commonmark").enable("table").render(text), guidelines


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
            retry=False,
        )
        return InitResult(project.id, title, _url(client, project.id), True, True, True, used)
    current = client.call(f"reading project {title!r}", sdk.projects.get, existing.id)
    config_changed = _normalise(current.label_config) != _normalise(config)
    instructions_changed = (current.expert_instruction or "") != instructions
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
    if config_changed or instructions_changed:
        changes = {}
        if config_changed:
            changes["label_config"] = config
        if instructions_changed:
            changes["expert_instruction"] = instructions
            changes["show_instruction"] = True
        client.call(f"updating project {title!r}", sdk.projects.update, existing.id, **changes)
    return InitResult(
        existing.id, title, _url(client, existing.id), False, config_changed, instructions_changed, used
    )


def _url(client: Client, project_id: int) -> str:
    return f"{client.url}/projects/{project_id}/data"
