// Encodes every string of the given strings files with CLIP's tokenizer.json
// in HF's Rust tokenizers engine and writes one JSON object per line: the
// text, its full encoding with <|startoftext|> … <|endoftext|> ("ids"), and,
// where it is longer than 77, its encoding truncated to 77 ("ids77": content
// cut to 75, then the special tokens, as CLIPTokenizerFast(truncation=True,
// max_length=77) gives).
//
//   node make_clip_goldens.js CLIP_TOKENIZER_JSON OUT_JSONL STRINGS_JSONL...
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokPath, outPath, ...stringsPaths] = process.argv.slice(2);
  const texts = stringsPaths.flatMap((p) => fs.readFileSync(p, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)));
  const full = Tokenizer.fromFile(tokPath);
  full.disableTruncation();
  full.disablePadding();
  const cut = Tokenizer.fromFile(tokPath);
  cut.setTruncation(77);
  cut.disablePadding();
  const lines = [];
  for (const text of texts) {
    const rec = { text, ids: (await full.encode(text)).getIds() };
    if (rec.ids.length > 77) rec.ids77 = (await cut.encode(text)).getIds();
    lines.push(JSON.stringify(rec));
  }
  fs.writeFileSync(outPath, lines.join('\n') + '\n');
  console.log(`${texts.length} goldens from ${tokPath} (tokenizers ${require('tokenizers/package.json').version})`);
}
main().catch((e) => { console.error(e); process.exit(1); });
