"""Word clusters learned without labels from raw text, for the entity tagger (`toolkit clusters build`).

Why: a tagger trained on one corpus meets words it never saw; a cluster id learned from far more raw text (every
ingested article, the corpora's own text, both languages) tells it that an unseen word behaves like words it
did see, as Brown-cluster prefixes do. How: lowercased words with at least `min_count` occurrences, a positive
PMI matrix of their left and right neighbours within two tokens (context counts smoothed to the power 0.75),
reduced by a truncated SVD and cut by k-means at several granularities (coarse to fine, like bit-string
prefixes). Deterministic for a seed on one machine.

The file is text, gzip-compressed when its name ends in .gz: a header line
`# toolkit word clusters v1 levels=64,256,1024`, then one `word<TAB>id<TAB>id<TAB>id` line per word (ids per
level, coarse first), sorted by word.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.text.tokens import tokenize

__all__ = ["HEADER", "ClusterBuild", "build_clusters", "read_clusters", "raw_sentences"]

HEADER = "# toolkit word clusters v1 levels="
# Contexts are the most frequent words only: rarer contexts add noise and columns, not signal.
MAX_CONTEXTS = 10_000
WINDOW = 2
# CSV columns that hold a sentence or an article text (NewsSD's is "Sentence").
TEXT_COLUMNS = ("text", "sentence", "Sentence", "Text")


@dataclass(frozen=True)
class ClusterBuild:
    """What `build_clusters` wrote."""

    path: Path
    levels: tuple[int, ...]
    words: int
    tokens: int
    files: int
    seconds: float


def raw_sentences(path: Path, columns: bool = False) -> Iterator[list[str]]:
    """Token lists of one input file.

    `.jsonl`: one article per line (its `text`, or its `tokens`); `.csv`: a text or sentence column; a file of
    token columns when `columns` (CoNLL-style: first field of each line, blank lines between sentences);
    a dataset folder (built or imported: it has a manifest.json): its train split's sentences; anything else:
    plain text, a line at a time.
    """
    if path.is_dir():
        yield from _train_sentences(path)
        return
    opener = gzip.open if path.suffix == ".gz" else open
    name = path.name.removesuffix(".gz")
    with opener(path, "rt", encoding="utf-8") as stream:
        if columns:
            sentence: list[str] = []
            for line in stream:
                fields = line.split()
                if not fields or fields[0] == "-DOCSTART-":
                    if sentence:
                        yield sentence
                    sentence = []
                elif not line.startswith("#"):
                    sentence.append(fields[0])
            if sentence:
                yield sentence
        elif name.endswith(".jsonl"):
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ToolkitError(f"{path}:{number}: not a JSON line ({error.msg})") from None
                if isinstance(record, dict) and isinstance(record.get("tokens"), list):
                    yield [str(token) for token in record["tokens"]]
                elif isinstance(record, dict) and isinstance(record.get("text"), str):
                    yield from _lines(record["text"])
                else:
                    raise ToolkitError(
                        f"{path}:{number}: a JSON line needs a `text` string or a `tokens` list"
                    )
        elif name.endswith(".csv"):
            reader = csv.DictReader(stream)
            column = next((c for c in TEXT_COLUMNS if c in (reader.fieldnames or ())), None)
            if column is None:
                raise ToolkitError(f"{path}: no text column ({', '.join(TEXT_COLUMNS)}) in its header")
            for row in reader:
                yield from _lines(row[column] or "")
        else:
            yield from _lines(stream.read())


def _train_sentences(folder: Path) -> Iterator[list[str]]:
    """The train split of a dataset folder: its entity rows' tokens, or its sentence rows' text. Only train, so
    that the clusters know nothing of the text a dev score is measured on."""
    from toolkit.dataset import load_dataset

    tasks = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("tasks", {})
    task = "entities" if "entities" in tasks else next(iter(tasks), None)
    if task is None:
        raise ToolkitError(f"{folder}: its manifest lists no task")
    dataset, _ = load_dataset(folder, task)
    if "train" not in dataset:
        return
    if "tokens" in dataset["train"].column_names:
        yield from (list(tokens) for tokens in dataset["train"]["tokens"] if tokens)
    else:
        for text in dataset["train"]["text"]:
            yield from _lines(text)


def _lines(text: str) -> Iterator[list[str]]:
    for line in io.StringIO(text):
        tokens = [token for token, _, _ in tokenize(line)]
        if tokens:
            yield tokens


def _files(inputs: Sequence[Path]) -> list[Path]:
    """The input files: a folder stands for its .txt, .jsonl and .csv files (recursively, sorted); a dataset
    folder (manifest.json) for itself."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir() and (path / "manifest.json").is_file():
            files.append(path)
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in (".txt", ".jsonl", ".csv")
            )
            if not found:
                raise ToolkitError(f"{path}: no .txt, .jsonl or .csv file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ToolkitError(f"{path}: no such file or folder")
    return files


def build_clusters(
    inputs: Sequence[Path],
    output: Path,
    levels: Sequence[int] = (64, 256, 1024),
    min_count: int = 3,
    dimensions: int = 100,
    columns: bool = False,
    seed: int = 13,
) -> ClusterBuild:
    """Learn word clusters from the raw text of `inputs` (files or folders) and write them to `output`."""
    from scipy import sparse
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    began = time.perf_counter()
    levels = tuple(sorted(int(level) for level in levels))
    if not levels or levels[0] < 2:
        raise ToolkitError(f"cluster levels must be integers >= 2, got {list(levels)}")
    files = _files(inputs)
    sentences = [[token.lower() for token in s] for path in files for s in raw_sentences(path, columns)]
    counts = Counter(token for sentence in sentences for token in sentence)
    words = sorted(word for word, count in counts.items() if count >= min_count)
    if len(words) <= levels[-1]:
        raise ToolkitError(
            f"{len(words)} words occur at least {min_count} times in {len(files)} files: too few for "
            f"{levels[-1]} clusters (give more text, a lower --min-count or smaller --levels)"
        )
    index = {word: i for i, word in enumerate(words)}
    contexts = {word: i for i, (word, _) in enumerate(counts.most_common(MAX_CONTEXTS))}
    rows, cols = [], []
    for sentence in sentences:
        ids = np.array([index.get(token, -1) for token in sentence], dtype=np.int64)
        context = np.array([contexts.get(token, -1) for token in sentence], dtype=np.int64)
        for offset in range(1, WINDOW + 1):
            # Left and right neighbours are different contexts: order tells a name from a verb.
            for target, other, side in (
                (ids[offset:], context[:-offset], 0),
                (ids[:-offset], context[offset:], 1),
            ):
                keep = (target >= 0) & (other >= 0)
                rows.append(target[keep])
                cols.append(other[keep] * 2 + side)
    row, col = np.concatenate(rows), np.concatenate(cols)
    cooc = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(len(words), 2 * len(contexts))).astype(
        np.float64
    )
    cooc.sum_duplicates()
    total = cooc.sum()
    word_p = np.asarray(cooc.sum(axis=1)).ravel() / total
    smoothed = np.asarray(cooc.sum(axis=0)).ravel() ** 0.75
    context_p = smoothed / smoothed.sum()
    coo = cooc.tocoo()
    pmi = np.log(coo.data / total / (word_p[coo.row] * context_p[coo.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=cooc.shape)
    components = min(dimensions, min(ppmi.shape) - 1)
    vectors = TruncatedSVD(components, random_state=seed).fit_transform(ppmi)
    vectors = normalize(vectors)
    assignments = np.stack(
        [
            MiniBatchKMeans(k, random_state=seed, n_init=3, batch_size=4096).fit_predict(vectors)
            for k in levels
        ],
        axis=1,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    lines = [HEADER + ",".join(map(str, levels))]
    lines += [word + "\t" + "\t".join(map(str, ids)) for word, ids in zip(words, assignments, strict=True)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # mtime=0: the same clusters give the same bytes, so the shipped file changes only when they do.
    output.write_bytes(gzip.compress(data, mtime=0) if output.suffix == ".gz" else data)
    return ClusterBuild(
        output, levels, len(words), int(sum(counts.values())), len(files), time.perf_counter() - began
    )


def read_clusters(path: Path) -> tuple[list[str], np.ndarray, tuple[int, ...]]:
    """(words, ids of shape (words, levels), levels) of a cluster file `build_clusters` wrote."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, UnicodeDecodeError, gzip.BadGzipFile) as error:
        raise ToolkitError(f"{path}: cannot read a cluster file ({error})") from None
    lines = text.splitlines()
    if not lines or not lines[0].startswith(HEADER):
        raise ToolkitError(f"{path}: not a cluster file (its first line must start with {HEADER!r})")
    try:
        levels = tuple(int(level) for level in lines[0][len(HEADER) :].split(","))
        words, ids = [], []
        for line in lines[1:]:
            word, *values = line.split("\t")
            if len(values) != len(levels):
                raise ValueError(f"{line!r} has {len(values)} ids for {len(levels)} levels")
            words.append(word)
            ids.append([int(value) for value in values])
    except ValueError as error:
        raise ToolkitError(f"{path}: bad cluster file ({error})") from None
    return words, np.asarray(ids, dtype=np.int32).reshape(len(words), len(levels)), levels
