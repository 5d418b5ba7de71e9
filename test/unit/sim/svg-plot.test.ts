import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { runWith, FakeContext } from "../../utils/cli/fake-context";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

const out = fs.mkdtempSync(path.join(os.tmpdir(), "snowchain-sweep-"));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe("snowchain simulate --sweep", () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    const ctx = new FakeContext();
    const r = await runWith(ctx, "simulate", "--nodes", "60", "--heights", "2", "--sweep", "byzantine=0,0.1,0.2", "--sweep", "strategy=random,balancing-full", "--limit", "3000", "--out", out);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.join("\n")}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => browser?.close());

  it("writes one CSV row per run, the swept options first", () => {
    const lines = fs.readFileSync(path.join(out, "sweep.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toMatch(/^byzantine,strategy,seed,nodes,byzantine_nodes,heights,polls_mean,/);
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 2).join(","))).toEqual([
      "0,random", "0.1,random", "0.2,random", "0,balancing-full", "0.1,balancing-full", "0.2,balancing-full",
    ]);
  });

  it.each(["rounds.svg", "liveness.svg", "safety.svg"])("%s renders in Chromium: one line per series, one point per run", async (file) => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => void (m.type() === "error" && problems.push(m.text())));
    await page.goto(`file://${path.join(out, file)}`);
    // rounds.svg: mean and p99 per strategy; the others: one line per strategy.
    const lines = file === "rounds.svg" ? 4 : 2;
    expect(await page.locator("path.series").count()).toBe(lines);
    expect(await page.locator("circle.point").count()).toBe(lines * 3);
    const box = await page.locator("path.series").first().boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    expect(await page.locator("text", { hasText: "strategy=balancing-full" }).count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
