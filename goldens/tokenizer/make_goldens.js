// Encodes every string of a strings file with HF's Rust tokenizers engine and
// writes one JSON object per line: the text, its full encoding with special
// tokens ("ids"), and its encodings truncated to max_length 512, 128 and 16
// ("ids512", "ids128", "ids16", only where truncation changes something).
//
//   node make_goldens.js TOKENIZER_JSON STRINGS_JSONL OUT_JSONL
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, stringsPath, outPath] = process.argv.slice(2);
  const texts = fs.readFileSync(stringsPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const full = Tokenizer.fromFile(tokPath);
  full.disableTruncation();
  full.disablePadding();
  const truncated = {};
  for (const n of [512, 128, 16]) {
    const t = Tokenizer.fromFile(tokPath);
    t.setTruncation(n);
    t.disablePadding();
    truncated[n] = t;
  }
  const lines = [];
  for (const text of texts) {
    const rec = { text, ids: (await full.encode(text)).getIds() };
    for (const n of [512, 128, 16]) {
      if (rec.ids.length > n) rec['ids' + n] = (await truncated[n].encode(text)).getIds();
    }
    lines.push(JSON.stringify(rec));
  }
  fs.writeFileSync(outPath, lines.join('\n') + '\n');
  console.log(`${texts.length} goldens from ${tokPath} (tokenizers ${require('tokenizers/package.json').version})`);
}
main().catch((e) => { console.error(e); process.exit(1); });
