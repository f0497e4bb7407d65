// The chart library inlined into the HTML report, so the page works offline.
// Read once, on first use: most runs never render HTML.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ChartAssets {
  /** uPlot's IIFE build (defines the global `uPlot`), safe to put inside <script>. */
  script: string;
  /** uPlot's stylesheet, safe to put inside <style>. */
  style: string;
}

let cached: ChartAssets | null = null;

export function chartAssets(): ChartAssets {
  if (cached === null) {
    const require = createRequire(import.meta.url);
    const read = (file: string): string => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
    cached = {
      // `<\/` means the same as `</` inside JS strings and regexes; elsewhere the sequence cannot occur.
      script: read('uPlot.iife.min.js').replace(/<\/(script)/gi, '<\\/$1'),
      style: read('uPlot.min.css').replace(/<\/(style)/gi, '<\\/$1'),
    };
  }
  return cached;
}
