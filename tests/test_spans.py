from toolkit.records import Span
from toolkit.text.bio import bio_to_spans, repair_bio, spans_to_bio
from toolkit.text.offsets import check_span, from_utf16, needs_utf16, to_utf16
from toolkit.text.tokens import tokenize, tokenize_with_boundaries


def test_tokens_carry_offsets_into_the_text():
    text = "L'action d'OpenAI a gagné 3,5 % jeudi; $25.5 billion 🚀 aujourd'hui."
    tokens = tokenize(text)
    assert all(text[start:end] == token for token, start, end in tokens)
    words = [token for token, _, _ in tokens]
    assert words[2:4] == ["d'", "OpenAI"]
    assert "3,5" in words and "25.5" in words and "aujourd'hui" in words and "🚀" in words


def test_boundaries_inside_a_token_split_it():
    assert [t for t, _, _ in tokenize_with_boundaries("OpenAI-backed", [6])] == ["OpenAI", "-backed"]


def test_bio_round_trip():
    text = "Masayoshi Son runs SoftBank in Tokyo"
    tokens = tokenize(text)
    spans = [Span(0, 13, "PER"), Span(19, 27, "ORG"), Span(31, 36, "LOC")]
    tags = spans_to_bio(tokens, spans)
    assert tags == ["B-PER", "I-PER", "O", "B-ORG", "O", "B-LOC"]
    assert bio_to_spans(tokens, tags) == spans


def test_iob1_is_repaired_and_type_changes_start_new_spans():
    assert repair_bio(["I-PER", "I-PER", "O", "I-ORG", "I-LOC"]) == ["B-PER", "I-PER", "O", "B-ORG", "B-LOC"]


def test_utf16_offsets_round_trip_past_emoji():
    text = "🚀 Acme 🌕 rose"
    start = text.index("rose")
    assert needs_utf16(text) and not needs_utf16("été à Paris")
    assert to_utf16(text, start) == start + 2
    assert from_utf16(text, to_utf16(text, start)) == start


def test_check_span_explains_what_is_wrong():
    assert check_span("abc", 0, 2, "ab") is None
    assert "out of range" in check_span("abc", 1, 9, None)
    assert "does not match" in check_span("abc", 0, 2, "bc")
    assert "integers" in check_span("abc", "0", 2, None)
