"""The `alignbot` command: run the bot, the console, migrations and strategy checks.

User mistakes (a broken strategy file, a bad database URL) end with a readable message and exit
code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.config import Settings
from bot.core import BotCore
from bot.evaluation import cli as evaluation_cli
from bot.evaluation.factory import EvaluatorConfigError
from bot.evaluation.result import Question
from bot.leads.cli import leads_app
from bot.ops.heartbeat import Heartbeats
from bot.prompts import PromptsError
from bot.runtime.app import build_core
from bot.runtime.loop import run as run_loop
from bot.runtime.process import PortInUse, operate
from bot.runtime.startup import fail, load_settings, settings_for_command, settings_for_console
from bot.runtime.web import WebServer
from bot.scheduling.runner import TickRunner
from bot.storage.database import Database, DatabaseUrlError, MigrationError
from bot.strategy.loader import StrategyFileError, load_strategy

if TYPE_CHECKING:
    from adapters.slack.app import OAuthConfig
    from adapters.slack.limits import WebApiLimits

T = TypeVar("T")
app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="sales-align-bot: keep a B2B sales team aligned with its strategy.")
strategy_app = typer.Typer(no_args_is_help=True,
                           help="Check strategy files; export, import and draft strategy versions.")
app.add_typer(strategy_app, name="strategy")
app.add_typer(leads_app, name="leads")
teams_app = typer.Typer(no_args_is_help=True, help="Microsoft Teams: the app package to sideload.")
app.add_typer(teams_app, name="teams")


Verbose = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Console: show log lines in the terminal too, instead of only in"
                            " ALIGNBOT_CONSOLE_LOG")]


@app.command()
def console(verbose: Verbose = False) -> None:
    """Talk to the bot in this terminal (the console adapter, no platform account needed)."""
    settings = settings_for_console(verbose)
    asyncio.run(_console(settings, verbose))


async def _console(settings: Settings, verbose: bool = False) -> None:
    from adapters.console.adapter import ConsoleAdapter, stdin_lines
    from bot.clock import OffsetClock, SystemClock

    try:
        start = settings.console_start
        offset = start - SystemClock().now() if start else timedelta()
        core = build_core(settings, clock=OffsetClock(offset))
        await core.start()
    except (StrategyFileError, PromptsError, DatabaseUrlError, MigrationError, EvaluatorConfigError) as exc:
        fail(str(exc))
        return
    logs_at = "shown here (--verbose)" if verbose else f"in {settings.console_log}"
    adapter = ConsoleAdapter(core, echo=not sys.stdin.isatty(), logs_at=logs_at)
    runner = TickRunner(core.tick, settings.tick_seconds, metrics=core.ctx.metrics,
                        on_tick=Heartbeats(core.ctx).tick)
    runner.start()  # scheduled check-ins arrive while you type, as on a platform
    web = await _webhook_server(core)
    try:
        await adapter.run(stdin_lines())
    finally:
        if web is not None:
            await web.stop()
        await runner.shutdown(settings.shutdown_grace)
        await core.ctx.drain()
        await core.ctx.db.dispose()


ROLES = ("all", "web", "scheduler")


@app.command()
def run(role: Annotated[str | None, typer.Option(
        "--role", help="all (default): everything; web: platform events and HTTP, no scheduled"
                       " sends; scheduler: the periodic tick and /healthz, /readyz, /metrics,"
                       " no platform events. Default: ALIGNBOT_ROLE.")] = None,
        verbose: Verbose = False) -> None:
    """Run the bot on the platform its settings point to (the console when no tokens are set)."""
    platform = load_settings().chosen_platform()
    settings = settings_for_console(verbose) if platform == "console" else settings_for_command()
    if role is not None and role not in ROLES:
        fail(f"--role must be one of {', '.join(ROLES)}, not {role!r}.")
    settings = settings.model_copy(update={"role": role or settings.role})
    if platform == "console":
        if settings.role != "all":
            fail("The console runs everything in one process; --role web|scheduler is for Slack"
                  " and Teams deployments.")
        typer.echo("No SLACK_* or MICROSOFT_* settings found: starting the console adapter"
                   f" on {settings.database_url} with {settings.strategy_file}.", err=True)
        asyncio.run(_console(settings, verbose))
        return
    if platform == "slack":
        run_loop(_slack(settings))  # uvloop where installed (bot/runtime/loop.py)
        return
    if platform == "teams":
        run_loop(_teams(settings))
        return
    fail(f"The {platform} adapter is not in this build yet; unset the {platform} settings to"
          " use the console, or see README.md for what is available.")


async def _slack(settings: Settings) -> None:
    """Serve Slack until interrupted: Socket Mode with SLACK_APP_TOKEN, else HTTP on
    ALIGNBOT_HTTP_PORT; the periodic tick runs alongside."""
    from adapters.slack.app import SlackAdapter
    from adapters.slack.port import build_client, web_session

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    oauth = _slack_oauth(settings)
    if oauth is not None and (token or app_token):
        fail("Set either SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (OAuth, many workspaces, HTTP mode) or"
              " SLACK_BOT_TOKEN (one workspace), not both.")
    if oauth is None and not token:
        fail("SLACK_BOT_TOKEN is not set: the Slack adapter needs the app's bot token (xoxb-...),"
              " or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs.")
    if app_token is None and not secret:
        fail("Set SLACK_APP_TOKEN (xapp-..., Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode).")
    try:
        core = build_core(settings)
        await core.start()
    except (StrategyFileError, PromptsError, DatabaseUrlError, MigrationError, EvaluatorConfigError) as exc:
        fail(str(exc))
        return
    limits = _slack_limits(settings)
    async with web_session(limits.timeout) as http:  # kept-alive connections for every Web API call
        client = None if oauth else build_client(token, base_url=settings.slack_api_url, limits=limits,
                                                 session=http)
        adapter = SlackAdapter(core, client, signing_secret=secret, app_token=app_token,
                               http_port=settings.http_port, oauth=oauth, session=http)
        try:
            await operate(core, adapter, serves_http=app_token is None)  # Socket Mode: own HTTP server
        except PortInUse as exc:
            fail(str(exc))


async def _webhook_server(core: BotCore) -> WebServer | None:
    """The leads webhook (and /healthz) on ALIGNBOT_HTTP_PORT when a webhook secret is set and
    no adapter serves HTTP; a busy port is reported, not fatal (the chat keeps working)."""
    if core.ctx.settings.webhook_secret is None:
        return None
    server = WebServer(core.ctx, port=core.ctx.settings.http_port)
    try:
        await server.start()
    except OSError as exc:
        typer.echo(f"Leads webhook not started: port {core.ctx.settings.http_port}: {exc}", err=True)
        return None
    return server


def _slack_oauth(settings: Settings) -> OAuthConfig | None:
    """The OAuth settings when SLACK_CLIENT_ID is set (both id and secret are then required)."""
    if not settings.slack_client_id:
        return None
    if not settings.slack_client_secret:
        fail("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not: OAuth installs need both.")
        raise AssertionError
    from adapters.slack.app import OAuthConfig

    scopes = [s.strip() for s in settings.slack_scopes.split(",") if s.strip()]
    return OAuthConfig(client_id=settings.slack_client_id,
                  client_secret=settings.slack_client_secret.get_secret_value(), scopes=scopes,
                  state_expiration_seconds=settings.slack_state_expiration,
                  redirect_uri=settings.slack_redirect_uri, base_url=settings.slack_api_url,
                  limits=_slack_limits(settings))


def _slack_limits(settings: Settings) -> WebApiLimits:
    from adapters.slack.limits import WebApiLimits

    return WebApiLimits(timeout=settings.slack_timeout, max_retries=settings.slack_max_retries,
                        max_wait=settings.slack_max_retry_wait)


async def _teams(settings: Settings) -> None:
    """Serve Teams until interrupted: botbuilder's CloudAdapter at /api/messages on
    ALIGNBOT_HTTP_PORT; the periodic tick runs alongside."""
    from adapters.teams.app import BotAuthConfig, TeamsAdapter

    app_id = settings.microsoft_app_id or ""
    password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else ""
    if not app_id:
        fail("MICROSOFT_APP_ID is not set: the Teams adapter needs the Azure Bot's Microsoft App ID.")
    if settings.microsoft_app_type != "UserAssignedMSI" and not password:
        fail("MICROSOFT_APP_PASSWORD is not set: add the client secret of the bot's app registration.")
    if settings.microsoft_app_type != "MultiTenant" and not settings.microsoft_app_tenant_id:
        fail(f"MICROSOFT_APP_TENANT_ID is not set: a {settings.microsoft_app_type} bot needs its tenant id.")
    try:
        core = build_core(settings)
        await core.start()
    except (StrategyFileError, PromptsError, DatabaseUrlError, MigrationError, EvaluatorConfigError) as exc:
        fail(str(exc))
        return
    auth = BotAuthConfig(APP_ID=app_id, APP_PASSWORD=password, APP_TYPE=settings.microsoft_app_type,
                         APP_TENANTID=settings.microsoft_app_tenant_id)
    adapter = TeamsAdapter(core, auth, http_port=settings.http_port, max_retries=settings.teams_max_retries,
                           max_wait=settings.teams_max_retry_wait, timeout=settings.teams_timeout)
    try:
        await operate(core, adapter, serves_http=True)  # /api/messages and the core routes
    except PortInUse as exc:
        fail(str(exc))


@teams_app.command("package")
def teams_package(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the zip")] = Path(
        "alignbot-teams.zip"),
) -> None:
    """Write the Teams app package (manifest.json + icons) to sideload or upload to Teams."""
    from adapters.teams.manifest import ManifestError, PackageSettings, write_package
    from bot.commands import build_registry

    settings = settings_for_command(quiet=True)
    if not settings.microsoft_app_id:
        fail("MICROSOFT_APP_ID is not set: put the Azure Bot's Microsoft App ID in the environment or"
              " .env (see README.md, 'Run it in Microsoft Teams').")
        return
    package = PackageSettings(settings.microsoft_app_id, settings.teams_app_version,
                              settings.teams_developer_name, settings.teams_website_url,
                              settings.teams_privacy_url, settings.teams_terms_url)
    try:
        data = write_package(out, package, build_registry().specs)
    except ManifestError as exc:
        fail(str(exc))
        return
    typer.echo(f"Wrote {out}: Teams app {data['version']} for bot {data['id']} (manifest"
               f" {data['manifestVersion']}, {len(data['bots'][0]['commandLists'][0]['commands'])}"
               " commands). Upload it in Teams: Apps > Manage your apps > Upload an app.")


@app.command()
def migrate() -> None:
    """Apply database migrations (the bot also does this on start)."""
    settings = settings_for_command()
    try:
        database = Database(settings.database_url)
        database.migrate_sync()
    except (DatabaseUrlError, MigrationError) as exc:
        fail(str(exc))
        return
    typer.echo(f"Database at {database.safe_url} is up to date.")  # no password on screen


@strategy_app.command("check")
def strategy_check(file: Annotated[Path, typer.Argument(help="The strategy YAML file")]) -> None:
    """Validate a strategy file: every error with its line (exit 2), then the strategy doctor's
    warnings - what the evaluator will misread, with a suggested fix (exit 0 when only those)."""
    from bot.evaluation.doctor import diagnose

    try:
        strategy = load_strategy(file)
    except StrategyFileError as exc:
        fail(str(exc))
        return
    advice = diagnose(strategy, file.read_text(encoding="utf-8"))
    for item in advice:
        typer.echo(item.render(str(file)))
    warnings = f", {len(advice)} warning{'s' if len(advice) != 1 else ''}" if advice else ""
    typer.echo(f"{file}: OK{warnings} - '{strategy.strategy.name}', {len(strategy.segments)}"
               f" segments, {len(strategy.sales_tasks)} sales tasks, version {strategy.version}.")


@strategy_app.command("export")
def strategy_export(
    version: Annotated[str | None, typer.Option("--version", help="A version number from"
                                                " `/align strategy history` (default: current)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout)")] = None,
) -> None:
    """Write a stored strategy version as YAML: a backup, or a file to edit and import."""
    from bot.strategy.shell import ShellError, export_version

    settings = settings_for_command(quiet=True)
    try:
        row, text = asyncio.run(_with_database(settings, lambda db: export_version(db, version)))
    except (ShellError, DatabaseUrlError, MigrationError) as exc:
        fail(str(exc))
        return
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote strategy version {row.id} ({row.status}, '{row.name}') to {out}.", err=True)


@strategy_app.command("import")
def strategy_import(
    file: Annotated[Path, typer.Argument(help="The strategy YAML file")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why: kept in the history")] = None,
) -> None:
    """Propose a strategy file as a new version; admins get it in chat to confirm or cancel."""
    from bot.strategy.shell import ShellError, import_file

    settings = settings_for_command(quiet=True)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot be read ({exc})")
        return
    try:
        done = asyncio.run(_with_database(settings, lambda db: import_file(db, file, text, reason)))
    except (ShellError, StrategyFileError, DatabaseUrlError, MigrationError) as exc:
        fail(str(exc))
        return
    for line in done.changes.lines:
        typer.echo(f"  {line}")
    for item in done.advice:
        typer.echo(item.render(str(file)))
    typer.echo(f"Proposed as strategy version {done.row.id}: admins get it in chat to confirm"
               f" (or `/align strategy proposal {done.row.id}`). Nothing changes until then.")


@strategy_app.command("draft")
def strategy_draft(
    file: Annotated[Path, typer.Argument(help="Your strategy as written: markdown or plain text")],
) -> None:
    """Draft a strategy in the bot's format from a document and propose it (with an LLM when
    configured, else a skeleton with TODO markers); admins confirm it in chat."""
    from bot.prompts import Prompts
    from bot.strategy.draft import PROMPT_NAME
    from bot.strategy.shell import ShellError, draft_file

    settings = settings_for_command(quiet=True)
    try:
        document = file.read_text(encoding="utf-8")
        prompt = Prompts(settings.prompts_dir).text(PROMPT_NAME)
    except (OSError, UnicodeDecodeError, PromptsError) as exc:
        fail(f"{file}: cannot be read ({exc})")
        return
    try:
        done = asyncio.run(_with_database(settings, lambda db: draft_file(
            db, settings, document, str(file), prompt)))
    except (ShellError, StrategyFileError, DatabaseUrlError, MigrationError) as exc:
        fail(str(exc))
        return
    typer.echo(done.text, nl=False)
    for path in done.todos:
        typer.echo(f"TODO: {path}", err=True)
    for item in done.advice:
        typer.echo(item.render("draft"), err=True)
    typer.echo(f"Drafted ({done.by}) and proposed as strategy version {done.row.id}: admins get it"
               " in chat to review and confirm. Nothing changes until then.", err=True)


async def _with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` on the bot's database, migrated first (as the bot would on start)."""
    database = Database(settings.database_url, settings.database_timeout)
    try:
        await database.migrate()
        return await work(database)
    finally:
        await database.dispose()


@app.command()
def evaluate(
    text: Annotated[str, typer.Argument(help="The answer to judge; - reads it from stdin")],
    question: Annotated[Question, typer.Option("--question", "-q", help="strategy, scope or tasks")],
    strategy: evaluation_cli.StrategyOption = None,
    evaluator: evaluation_cli.EvaluatorOption = None,
    as_json: evaluation_cli.JsonOption = False,
) -> None:
    """Judge one answer against the strategy; print the verdict and the feedback a person gets."""
    evaluation_cli.evaluate(settings_for_command(quiet=True), text, question, strategy, evaluator, as_json)


@app.command("eval")
def eval_dataset(
    dataset: Annotated[Path, typer.Argument(help="Labeled answers (JSONL), one object per line")],
    strategy: evaluation_cli.StrategyOption = None,
    evaluator: evaluation_cli.EvaluatorOption = None,
    as_json: evaluation_cli.JsonOption = False,
    learn_from: evaluation_cli.LearnFromOption = None,
) -> None:
    """Measure an evaluator on a labeled dataset: per-item predictions, then precision, recall and F1."""
    evaluation_cli.eval_dataset(settings_for_command(quiet=True), dataset, strategy, evaluator, as_json,
                                learn_from)


@app.command()
def export(
    since: Annotated[str, typer.Option("--since", help="Export from this date (YYYY-MM-DD, UTC)")],
    fmt: Annotated[str, typer.Option("--format", help="csv (a folder of 3 files) or json")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="csv: folder (default ./alignbot-export);"
                                             " json: file (default: stdout)")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this manager's team")] = None,
) -> None:
    """Export answers with evaluations, leads and touches for BI tools (everyone unless --team)."""
    from datetime import UTC, date, datetime

    from bot.digest.export import ExportError, export_from, write_csv, write_json

    settings = settings_for_command(quiet=True)
    if fmt not in ("csv", "json"):
        fail(f"--format {fmt}: use csv or json.")
    try:
        start = datetime.combine(date.fromisoformat(since), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        fail(f"--since {since}: write the date as YYYY-MM-DD, e.g. --since 2026-01-01")
        return
    try:
        data = asyncio.run(export_from(settings.database_url, load_strategy(settings.strategy_file),
                                       start, team))
    except (ExportError, StrategyFileError, DatabaseUrlError) as exc:
        fail(str(exc))
        return
    counts = f"{len(data.answers)} answers, {len(data.leads)} leads, {len(data.touches)} touches"
    if fmt == "json":
        text = write_json(data)
        if out is None:
            typer.echo(text)
            return
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"Exported {counts} to {out}.", err=True)
        return
    paths = write_csv(data, out or Path("alignbot-export"))
    typer.echo(f"Exported {counts} to {', '.join(str(p) for p in paths)}.", err=True)


@app.command()
def docs(check: Annotated[bool, typer.Option("--check", help="Only say whether they are current")]
         = False) -> None:
    """Regenerate docs/configuration.md and docs/commands.md from the settings model and the
    command registry (--check: exit 1 if they are out of date)."""
    from bot.ops import docs as generated

    raise typer.Exit(generated.main(["--check"] if check else []))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
