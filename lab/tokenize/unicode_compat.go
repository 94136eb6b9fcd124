package tokenize

import "unicode"

// The Rust engine classifies code points with the unicode_categories crate,
// whose tables predate Go's (Unicode 15): a code point assigned later is, for
// Rust, neither punctuation nor a mark nor a format character, and the
// crate's "other" never includes unassigned code points although bert.rs says
// so. Go's own tables would thus split, drop or keep about a thousand code
// points differently, so these predicates use tables measured on the Rust
// engine itself (rust_unicode_tables.go, made by
// goldens/tokenizer/probe_unicode.js).

// isRustOther is unicode_categories' is_other as the engine applies it.
func isRustOther(r rune) bool { return unicode.Is(rustOther, r) }

// isRustPunctuation is unicode_categories' is_punctuation for non-ASCII r.
func isRustPunctuation(r rune) bool { return unicode.Is(rustPunct, r) }
