import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { SECURITY_HEADERS } from "./security.ts";

const STATIC = new URL("./static/", import.meta.url);

/** The page's files, read once; `npm run build` copies them next to the compiled handler. */
interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

let files: ReadonlyMap<string, StaticFile> | null = null;

function load(): ReadonlyMap<string, StaticFile> {
  if (files !== null) return files;
  const read = (name: string, type: string): [string, StaticFile] => {
    const url = new URL(name, STATIC);
    try {
      return [name, { type, body: readFileSync(url) }];
    } catch (error) {
      throw new Error(
        `tasklane dashboard: cannot read its page file ${url.pathname} (${(error as Error).message}); ` +
          "a build without its static files? `npm run build` copies src/dashboard/static to dist/dashboard/static.",
        { cause: error },
      );
    }
  };
  const script = "text/javascript; charset=utf-8";
  files = new Map([
    read("index.html", "text/html; charset=utf-8"),
    read("app.css", "text/css; charset=utf-8"),
    // Without an icon of its own, the browser asks for /favicon.ico, a 404 at the server's root.
    read("icon.svg", "image/svg+xml"),
    ...["app.js", "dom.js", "chart.js", "detail.js"].map((name) => read(name, script)),
  ]);
  return files;
}

/** Reads the files now, so a missing one is reported when the handler is made, not at the first visit. */
export function checkStaticFiles(): void {
  load();
}

/** Serves one of the page's scripts or its style sheet; false when `name` is none of them. */
export function serveAsset(res: ServerResponse, name: string): boolean {
  const file = name === "index.html" ? undefined : load().get(name);
  if (file === undefined) return false;
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": file.type,
    "Content-Length": file.body.length,
    // Revalidated on each load: a new tasklane version must not run an old script.
    "Cache-Control": "no-cache",
  });
  res.end(file.body);
  return true;
}

/** Serves the page with this handler's CSRF token (hex, so it needs no escaping) in a meta tag. */
export function servePage(res: ServerResponse, csrfToken: string, headers: Record<string, string> = {}): void {
  if (!/^[0-9a-f]+$/.test(csrfToken)) throw new Error("the CSRF token must be hex");
  const html = load().get("index.html")!.body.toString("utf8").replace("{{csrf}}", csrfToken);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(html);
}
