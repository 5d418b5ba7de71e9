import { checkHistory } from "../../../src/lab/checker";
import { finalityPoints, renderReport } from "../../../src/lab/report";
import { parseScenario } from "../../../src/lab/scenario";
import { HistoryBuilder } from "../../utils/lab/history";

const PEERS = ["peer-0", "peer-1", "peer-2"];
const TEXT = "name: t\ndescription: <b>not markup</b>\nduration: 10\nnetwork: { peers: 3 }\n";

describe("report.html", () => {
  const events = new HistoryBuilder(PEERS)
    .blocks(PEERS, 0, 2000)
    .fault("f1", "kill", "kill peer-2", ["peer-2"], 2000, 5000)
    .fault("f2", "partition", "partition [peer-0] | [peer-1]", ["peer-0", "peer-1"], 6000, 8000)
    .ackAll("peer-0")
    .finish(9000);
  const html = renderReport({ events, verdict: checkHistory(events, { recoveryWithinMs: 5000 }), scenario: parseScenario(TEXT, "t.yaml"), scenarioText: TEXT, seed: 99, faults: [] });

  it("shades one band per fault in each chart, in the colour of its kind, labelled", () => {
    expect(html.match(/class="fault-band" data-fault="f1" data-kind="kill"/g)).toHaveLength(2);
    expect(html.match(/class="fault-band" data-fault="f2" data-kind="partition"/g)).toHaveLength(2);
    expect(html).toContain('fill="#d62728"');
    expect(html).toContain(">f2 partition [peer-0] | [peer-1]<");
  });

  it("shows the verdict, the seed and the scenario, escaped, and fetches nothing", () => {
    expect(html).toMatch(/id="verdict">(pass|FAIL|unknown)</);
    expect(html).toContain('<b id="seed">99</b>');
    expect(html).toContain("&lt;b&gt;not markup&lt;/b&gt;");
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it("measures finality from each acknowledged submit to its first acceptance anywhere", () => {
    expect(finalityPoints(events).every((p) => p.ms >= 0)).toBe(true);
    expect(finalityPoints(events)).toHaveLength(10);
  });
});
