/**
 * Three short scenarios of the library on the local backend, end to end: real peer processes,
 * real faults, the verdict, and the report opened in headless Chromium like a person opens it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { runLab, type LabOutcome } from "./run-lab";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

const results = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-lab-"));
const runs = new Map<string, LabOutcome>();

afterAll(() => fs.rmSync(results, { recursive: true, force: true }));

describe.each(["kill-minority", "partition-halves", "isolate-one"])("scenarios/%s.yaml on the local backend", (name) => {
  it("passes every check, exits 0 and writes history.jsonl, verdict.json and report.html", async () => {
    const r = await runLab([`scenarios/${name}.yaml`, "--seed", "11"], results);
    runs.set(name, r);
    if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.out}`);
    expect(r.out).toMatch(/verdict: pass/);
    for (const f of ["history.jsonl", "verdict.json", "report.html"]) expect(fs.existsSync(path.join(r.dir, f))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(r.dir, "verdict.json"), "utf8"))).toMatchObject({ scenario: name, seed: 11, valid: true });
    // Nothing of the network is left: the data directories are removed, the state file is gone.
    expect(fs.existsSync(path.join(r.dir, "net"))).toBe(false);
    expect(fs.readdirSync(path.join(results, ".running"))).toEqual([]);
  });
});

describe("report.html in headless Chromium", () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => browser?.close());

  it("loads without console errors and shows the verdict, the seed and one band per fault", async () => {
    const run = runs.get("partition-halves");
    if (!run?.dir) throw new Error("the partition-halves run above did not produce a report");
    const page = await browser!.newPage({ viewport: { width: 1100, height: 1400 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (req) => {
      if (!req.url().startsWith("file:")) problems.push(`fetched ${req.url()}: the report must be self-contained`);
    });
    await page.goto(`file://${path.join(run.dir, "report.html")}`);
    expect(await page.textContent("#verdict")).toBe("pass");
    expect(await page.textContent("#seed")).toBe("11");
    const faults = (fs.readFileSync(path.join(run.dir, "history.jsonl"), "utf8").match(/"type":"fault".*?"phase":"start"/g) ?? []).length;
    expect(faults).toBe(1);
    // One band per fault in each of the two charts (heights, finality).
    expect(await page.locator(".fault-band").count()).toBe(2 * faults);
    expect(await page.locator('.fault-band[data-kind="partition"] text').first().textContent()).toMatch(/^f1 partition \[/);
    expect(await page.locator("#verdict-table tbody tr").count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator(".peer-line").count()).toBe(5);
    if (process.env.SNOWCHAIN_LAB_SCREENSHOT) await page.screenshot({ path: process.env.SNOWCHAIN_LAB_SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  });
});
