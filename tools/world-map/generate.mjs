// Regenerates src/analytics/world_map.tsv, the country outlines of the analytics pages' map,
// from Natural Earth's 1:110m countries (public domain) as packaged by world-atlas:
//   cd tools/world-map && npm ci && node generate.mjs > ../../src/analytics/world_map.tsv
// The first line is "# WIDTH HEIGHT" (the viewBox); then one line per country: its ISO 3166-1
// alpha-2 code, a tab, and an SVG path (Natural Earth projection, whole pixels, relative lines).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { geoNaturalEarth1, geoPath } from "d3-geo";
import countries from "i18n-iso-countries";
import { feature } from "topojson-client";

const WIDTH = 960;
// Features the numeric ISO table does not name, by their Natural Earth name.
const EXTRA_CODES = { Kosovo: "XK" };

const require = createRequire(import.meta.url);
const topology = JSON.parse(readFileSync(require.resolve("world-atlas/countries-110m.json"), "utf8"));
const shapes = feature(topology, topology.objects.countries).features.filter(
  (shape) => shape.properties.name !== "Antarctica",
);
const all = { type: "FeatureCollection", features: shapes };
const path = geoPath(geoNaturalEarth1().fitWidth(WIDTH, all)).digits(0);
const height = Math.ceil(path.bounds(all)[1][1]);

// Absolute "Mx,yLx,y…Z" rings to "Mx,yldx,dy dx,dy…z", repeated points and slivers dropped.
function compact(d) {
  let out = "";
  for (const ring of d.split("Z").filter(Boolean)) {
    const points = ring.slice(1).split("L").map((point) => point.split(",").map(Number));
    const kept = points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
    if (kept.length < 3) continue;
    const steps = kept.slice(1).map((p, i) => `${p[0] - kept[i][0]},${p[1] - kept[i][1]}`);
    out += `M${kept[0][0]},${kept[0][1]}l${steps.join(" ").replace(/ -/g, "-")}z`;
  }
  return out;
}

const outlines = new Map();
for (const shape of shapes) {
  const code = (shape.id && countries.numericToAlpha2(shape.id)) || EXTRA_CODES[shape.properties.name];
  const d = code && compact(path(shape) ?? "");
  if (d) outlines.set(code, (outlines.get(code) ?? "") + d);
  else console.error(`skipped ${shape.properties.name} (no ISO code or too small)`);
}
console.log(`# ${WIDTH} ${height}`);
for (const [code, d] of [...outlines].sort(([a], [b]) => a.localeCompare(b))) console.log(`${code}\t${d}`);
