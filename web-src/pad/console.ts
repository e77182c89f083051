// The run console under the editor: Run, Run tests, Stop, streamed output, stdin, status, terminal.

import type { PadConfig } from "./config";
import type { ChannelEvent, ControlChannel } from "./control";
import { element } from "./dom";
import type { RunFinished } from "./protocol";
import { SharedTerminal } from "./terminal";

const STATUS_TEXT: Record<string, string> = {
  ok: "finished",
  runtime_error: "runtime error",
  compile_error: "compile error",
  time_limit: "time limit",
  memory_limit: "memory limit",
  output_limit: "output limit",
  internal_error: "internal error",
};

/** Commands whose refusals their own pane shows (or, for the browser's signals, nobody). */
const ANSWERED_ELSEWHERE = new Set(["chat", "note", "signal", "session.end"]);

export function mountConsole(
  root: HTMLElement,
  config: PadConfig,
  channel: ControlChannel,
  activeFile: () => string | null,
): void {
  const bar = element("div", { class: "console-bar" });
  const run = element("button", { type: "button", class: "primary small", "data-testid": "run" }, "Run");
  const test = element("button", { type: "button", class: "small", "data-testid": "run-tests" }, "Run tests");
  const stop = element("button", { type: "button", class: "small danger", "data-testid": "stop" }, "Stop");
  const status = element("span", { class: "console-status muted small", "data-testid": "run-status", role: "status" });
  const tabs = element("div", { class: "console-tabs", role: "tablist" });
  const consoleTab = element("button", { type: "button", role: "tab", "aria-selected": "true" }, "Console");
  const terminalTab = element("button", { type: "button", role: "tab", "aria-selected": "false" }, "Terminal");
  tabs.append(consoleTab, terminalTab);
  bar.append(run, test, stop, status, tabs);

  const output = element("pre", { class: "console-output", "data-testid": "console-output", "aria-live": "polite" });
  const stdinForm = element("form", { class: "console-stdin", "aria-label": "Program input" });
  const stdinInput = element("input", {
    type: "text",
    "aria-label": "Input for the running program",
    placeholder: "input for the running program, then Enter",
  });
  stdinForm.append(stdinInput);
  const consolePane = element("div", { class: "console-pane" });
  consolePane.append(output, stdinForm);

  const terminalPane = element("div", { class: "terminal-pane", hidden: "" });
  const terminalBar = element("div", { class: "terminal-bar" });
  const terminalHost = element("div", { class: "terminal-host", "data-testid": "terminal" });
  for (const [language, label] of [
    ["python", "Python"],
    ["javascript", "Node"],
    ["bash", "Bash"],
  ] as const) {
    const open = element("button", { type: "button", class: "small", "data-terminal": language }, `Open ${label}`);
    open.disabled = !config.canEdit;
    open.addEventListener("click", () => terminal.open(language));
    terminalBar.append(open);
  }
  const closeTerminal = element("button", { type: "button", class: "small danger" }, "Close terminal");
  closeTerminal.disabled = !config.canEdit;
  closeTerminal.addEventListener("click", () => terminal.close());
  terminalBar.append(closeTerminal);
  terminalPane.append(terminalBar, terminalHost);
  root.append(bar, consolePane, terminalPane);
  const terminal = new SharedTerminal(terminalHost, channel, config.canEdit);

  let activeRun: string | null = null;
  const refresh = (): void => {
    run.disabled = test.disabled = !config.canEdit || activeRun !== null;
    stop.disabled = !config.canEdit || activeRun === null;
    stdinInput.disabled = !config.canEdit || activeRun === null;
  };
  const append = (text: string, kind: string): void => {
    const span = element("span", { class: kind });
    span.textContent = text;
    output.append(span);
    output.scrollTop = output.scrollHeight;
  };
  const finished = (event: RunFinished): void => {
    const result = event.result;
    if (result === null) {
      append(`\n${event.error ?? "the run did not start"}\n`, "console-error");
      status.textContent = "could not run";
      return;
    }
    const mib = (result.memory_bytes / 1048576).toFixed(1);
    const summary = result.stopped ? "stopped" : (STATUS_TEXT[result.status] ?? result.status);
    status.textContent = `${summary} · ${result.wall_ms} ms · CPU ${result.cpu_ms} ms · ${mib} MiB`;
    status.dataset.status = result.status;
    if (result.message && !result.stopped) append(`\n[${result.message}]\n`, "console-note");
    if (result.tests) {
      const passed = result.tests.filter((t) => t.status === "passed").length;
      append(`\n${passed}/${result.tests.length} tests passed\n`, "console-note");
      for (const t of result.tests)
        append(
          `  ${t.status === "passed" ? "✓" : "✗"} ${t.name}${t.status === "passed" ? "" : ` — ${t.message.split("\n")[0]}`}\n`,
          t.status === "passed" ? "console-pass" : "console-fail",
        );
      if (result.tampered) {
        append("\nTampered: nothing scored.\n", "console-error");
        for (const line of result.evidence ?? []) append(`  ${line}\n`, "console-error");
      }
    }
  };
  const handle = (event: ChannelEvent, replay = false): void => {
    switch (event.type) {
      case "hello": {
        output.replaceChildren();
        activeRun = event.active_run;
        for (const past of event.history) handle(past, true);
        activeRun = event.active_run;
        break;
      }
      case "run.started":
        activeRun = event.run_id;
        append(
          `\n▶ ${event.by} ran ${event.file} (${event.language}${event.mode === "test" ? ", tests" : ""})\n`,
          "console-note",
        );
        status.textContent = "running…";
        break;
      case "run.queued":
        status.textContent = `waiting for a free slot (position ${event.position})`;
        break;
      case "run.output":
        append(event.data, event.stream === "stderr" ? "console-stderr" : "console-stdout");
        break;
      case "run.finished":
        if (activeRun === event.run_id) activeRun = null;
        finished(event);
        break;
      case "error":
        if (!replay && !ANSWERED_ELSEWHERE.has(event.request ?? "")) append(`\n${event.message}\n`, "console-error");
        break;
      case "session.ended":
        config.canEdit = false;
        break;
      case "refused":
        config.canEdit = false;
        append(`\n${event.reason || "Your access to this session ended."}\n`, "console-error");
        break;
      case "terminal.opened":
      case "terminal.output":
      case "terminal.closed":
        if (!replay) terminal.handle(event);
        break;
      default: // chat, notes, signals, pings, what the terminal was typed (recorded only), a lost connection
        break;
    }
    refresh();
  };
  channel.on((event) => handle(event));

  run.addEventListener("click", () => channel.send({ type: "run.start", mode: "run", file: activeFile() }));
  test.addEventListener("click", () => channel.send({ type: "run.start", mode: "test", file: activeFile() }));
  stop.addEventListener("click", () => activeRun && channel.send({ type: "run.stop", run_id: activeRun }));
  stdinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (activeRun === null) return;
    const data = `${stdinInput.value}\n`;
    if (channel.send({ type: "run.stdin", run_id: activeRun, data })) {
      append(data, "console-stdin");
      stdinInput.value = "";
    }
  });
  const select = (showTerminal: boolean): void => {
    consoleTab.setAttribute("aria-selected", String(!showTerminal));
    terminalTab.setAttribute("aria-selected", String(showTerminal));
    consolePane.hidden = showTerminal;
    terminalPane.hidden = !showTerminal;
  };
  consoleTab.addEventListener("click", () => select(false));
  terminalTab.addEventListener("click", () => select(true));
  refresh();
}
