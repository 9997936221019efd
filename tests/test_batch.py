"""Batch prediction (`toolkit.batch`, `toolkit predict -o FILE`): chunks, resuming after a crash, Dask."""

import json

import pytest
from sample_exports import EN, FR, make_export, train_sample_claims_model
from typer.testing import CliRunner

from toolkit import batch
from toolkit.cli import app
from toolkit.dataset import build_dataset
from toolkit.errors import ToolkitError
from toolkit.ingest import ingest, read_articles, write_articles
from toolkit.ingest.synthetic import synthetic_articles
from toolkit.predict import format_predictions, predict_articles

runner = CliRunner()
COUNT = 25  # articles: 7 chunks of 4 (the last holds 1)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A claims model trained on the small sample in a throwaway MLflow store."""
    return train_sample_claims_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    root = tmp_path_factory.mktemp("articles")
    raw = root / "raw.jsonl"
    raw.write_text("".join(json.dumps(a) + "\n" for a in synthetic_articles(COUNT)), encoding="utf-8")
    return write_articles(root / "articles.jsonl", ingest([raw]).articles)


@pytest.fixture
def tracking(model, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", model["uri"])
    return model["model"]


@pytest.fixture(scope="module")
def expected(model, articles):
    """What the in-memory `predict_articles` gives, as JSONL."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", model["uri"])
        return format_predictions(predict_articles([model["model"]], read_articles(articles)))


def test_chunks_hold_at_most_chunk_size_articles_and_join_in_order(
    tracking, articles, expected, tmp_path, monkeypatch
):
    sizes = []
    real = batch._predict_chunk
    monkeypatch.setattr(
        batch,
        "_predict_chunk",
        lambda loaded, chunk, fmt: sizes.append(len(chunk)) or real(loaded, chunk, fmt),
    )
    output = tmp_path / "out.jsonl"
    result = batch.predict_batch([tracking], articles, output, chunk_size=4)
    assert sizes == [4, 4, 4, 4, 4, 4, 1]
    assert (result.chunks, result.articles, result.resumed, result.engine) == (7, COUNT, 0, "process")
    assert output.read_text(encoding="utf-8") == expected
    assert not batch.parts_folder(output).exists()
    sizes.clear()
    batch.predict_batch([tracking], articles, output, chunk_size=100)
    assert sizes == [COUNT] and output.read_text(encoding="utf-8") == expected


def test_a_crashed_batch_resumes_where_it_stopped_and_writes_the_same_file(
    tracking, articles, expected, tmp_path, monkeypatch
):
    output = tmp_path / "out.jsonl"
    real_write = batch._write_part
    written = []

    def crash_after_three(parts, index, fmt, text, counts):
        if len(written) == 3:
            raise RuntimeError("killed")
        written.append(index)
        real_write(parts, index, fmt, text, counts)

    monkeypatch.setattr(batch, "_write_part", crash_after_three)
    with pytest.raises(RuntimeError, match="killed"):
        batch.predict_batch([tracking], articles, output, chunk_size=4)
    assert not output.exists()
    parts = batch.parts_folder(output)
    assert sorted(p.name for p in parts.glob("*.done")) == [
        "part-000000.done",
        "part-000001.done",
        "part-000002.done",
    ]

    monkeypatch.setattr(batch, "_write_part", real_write)
    predicted = []
    real = batch._predict_chunk
    monkeypatch.setattr(
        batch,
        "_predict_chunk",
        lambda loaded, chunk, fmt: predicted.append(chunk[0].id) or real(loaded, chunk, fmt),
    )
    result = batch.predict_batch([tracking], articles, output, chunk_size=4)
    assert len(predicted) == 4  # chunks 3 to 6 only
    assert (result.resumed, result.chunks, result.articles) == (3, 7, COUNT)
    assert output.read_text(encoding="utf-8") == expected
    assert not parts.exists()


def test_parts_of_another_run_are_not_reused(tracking, articles, expected, tmp_path):
    output = tmp_path / "out.jsonl"
    parts = batch.parts_folder(output)
    parts.mkdir()
    (parts / "run.json").write_text(json.dumps({"models": ["runs:/other/model"]}))
    (parts / "part-000000.jsonl").write_text('{"article_id": "stale"}\n')
    (parts / "part-000000.done").write_text(
        json.dumps({"articles": 4, "sentences": 4, "spans": {}, "model_version": "x"})
    )
    result = batch.predict_batch([tracking], articles, output, chunk_size=4)
    assert result.resumed == 0 and output.read_text(encoding="utf-8") == expected


def test_csv_in_chunks_has_one_header_and_every_row(tracking, articles, tmp_path):
    output = tmp_path / "out.csv"
    whole = tmp_path / "whole.csv"
    batch.predict_batch([tracking], articles, output, format="csv", chunk_size=3)
    batch.predict_batch([tracking], articles, whole, format="csv", chunk_size=COUNT)
    text = output.read_text(encoding="utf-8")
    assert text == whole.read_text(encoding="utf-8") and text.count("article_id,") == 1


def test_parquet_and_a_saved_dataset_give_the_same_predictions(tracking, articles, expected, tmp_path):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [a.to_dict() | {"meta": json.dumps(a.meta)} for a in read_articles(articles)]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "articles.parquet", row_group_size=7)
    datasets.Dataset.from_list(records).save_to_disk(str(tmp_path / "saved"))
    for source in (tmp_path / "articles.parquet", tmp_path / "saved"):
        output = tmp_path / f"{source.name}.jsonl"
        batch.predict_batch([tracking], source, output, chunk_size=4)
        assert output.read_text(encoding="utf-8") == expected


def test_a_bad_article_names_its_line_and_leaves_nothing_behind(tracking, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n', encoding="utf-8")
    output = tmp_path / "out.jsonl"
    with pytest.raises(ToolkitError, match=r"bad.jsonl:1: not an ingested article"):
        batch.predict_batch([tracking], bad, output)
    assert not output.exists() and not batch.parts_folder(output).exists()


def test_a_local_cluster_of_one_worker_writes_what_the_process_writes(tracking, articles, expected, tmp_path):
    output = tmp_path / "out.jsonl"
    result = batch.predict_batch([tracking], articles, output, chunk_size=4, workers=1)
    assert result.engine == "LocalCluster(1 worker)" and result.chunks == 7
    assert output.read_text(encoding="utf-8") == expected


def test_the_cli_writes_in_chunks_with_workers(tracking, articles, expected, tmp_path):
    output = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["predict", tracking, str(articles), "-o", str(output), "--chunk-size", "10", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote predictions for {COUNT} articles to {output}" in result.output
    assert "in 3 chunks on LocalCluster(1 worker)" in result.output
    assert output.read_text(encoding="utf-8") == expected


def test_an_unreachable_scheduler_is_one_line(tracking, articles, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CONNECT_TIMEOUT", 1.0)
    output = tmp_path / "out.jsonl"
    for args, env in (
        (["--scheduler", "tcp://127.0.0.1:9"], {}),
        ([], {"DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9"}),
    ):
        result = runner.invoke(app, ["predict", tracking, str(articles), "-o", str(output), *args], env=env)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            "error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"
        )
        assert not output.exists() and not batch.parts_folder(output).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "2"], "--workers needs --output FILE"),
        (
            ["-o", "X", "--workers", "1", "--scheduler", "tcp://127.0.0.1:9"],
            "with --scheduler the cluster has its own",
        ),
        (["-o", "X", "--chunk-size", "0"], "--chunk-size"),
    ],
)
def test_batch_options_misused_are_usage_errors(tracking, articles, tmp_path, args, message):
    args = [str(tmp_path / "out.jsonl") if arg == "X" else arg for arg in args]
    result = runner.invoke(app, ["predict", tracking, str(articles), *args])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_train_scheduler_fits_the_search_candidates_on_the_cluster(model, tmp_path, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    data = tmp_path / "data"
    export = tmp_path / "export.json"
    rows = [(f"en-{i}", "en", t) for i, t in enumerate(EN)] + [(f"fr-{i}", "fr", t) for i, t in enumerate(FR)]
    export.write_text(json.dumps(make_export(rows), ensure_ascii=False))
    build_dataset([export], data, validation_fraction=0.2, test_fraction=0.2)
    experiment = tmp_path / "claims.toml"
    experiment.write_text(
        '[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n'
        "[search]\ncv = 2\nparams = {C = [0.5, 2.0]}\n"
    )
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        result = runner.invoke(
            app, ["train", str(experiment), "--data", str(data), "--scheduler", cluster.scheduler_address]
        )
        ran = sum(sum(prefix.state_counts.values()) for prefix in cluster.scheduler.task_prefixes.values())
    assert result.exit_code == 0, result.output
    assert "search: 2 candidates (nested runs)" in result.output
    assert ran >= 4  # 2 candidates × 2 folds, sent to the cluster's worker


def test_train_with_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = tmp_path / "claims.toml"
    experiment.write_text('[experiment]\ntask = "claims"\n[model]\nestimator = "ClaimClassifier"\n')
    from toolkit.training import search

    with (
        pytest.raises(ToolkitError, match=r"^cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"),
        search.on_dask("tcp://127.0.0.1:9", timeout=1),
    ):
        pass


def test_ranges_cover_every_line_and_errors_name_the_line_of_a_later_chunk(tmp_path):
    from toolkit.ingest.articles import article_ranges, iter_articles, read_range

    records = [json.dumps(a) for a in synthetic_articles(9)]
    source = tmp_path / "raw.jsonl"
    source.write_text("\n".join(records) + "\n", encoding="utf-8")
    articles = tmp_path / "articles.jsonl"
    lines = [json.dumps(a.to_dict(), ensure_ascii=False) for a in ingest([source]).articles]
    # A BOM, blank lines between records and no newline at the end: what a hand-edited file may hold.
    articles.write_bytes(("\ufeff" + "\n\n".join(lines[:5]) + "\n \n" + "\n".join(lines[5:])).encode("utf-8"))
    ranges = article_ranges(articles, 4)
    assert [r.count for r in ranges] == [4, 4, 1]
    read = [a.id for r in ranges for a in read_range(articles, r)]
    assert read == [a.id for a in iter_articles(articles)]
    text = articles.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(text, start=1) if lines[7] in line)
    text[number - 1] = '{"id": "broken"'
    articles.write_text("\n".join(text), encoding="utf-8")
    last = article_ranges(articles, 4)[1]
    with pytest.raises(ToolkitError, match=rf"articles.jsonl:{number}: malformed JSON"):
        read_range(articles, last)


def test_a_remote_cluster_that_shares_the_filesystem_lets_workers_write_their_parts(
    tracking, articles, expected, tmp_path, monkeypatch
):
    from distributed import LocalCluster

    from toolkit.batch import cluster as engine

    written = []
    real = engine._write_part
    monkeypatch.setattr(engine, "_write_part", lambda *args: written.append(args[1]) or real(*args))
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as local:
        output = tmp_path / "shared.jsonl"
        result = batch.predict_batch(
            [tracking], articles, output, chunk_size=4, scheduler=local.scheduler_address
        )
        assert result.engine.endswith("(workers read the input)") and written == []
        assert output.read_text(encoding="utf-8") == expected
        # Workers that cannot see our files get the articles and send the text back; we write the parts.
        monkeypatch.setattr(engine, "_shared_filesystem", lambda *args: False)
        output = tmp_path / "sent.jsonl"
        result = batch.predict_batch(
            [tracking], articles, output, chunk_size=4, scheduler=local.scheduler_address
        )
    assert result.engine.endswith("(articles sent to the workers)") and sorted(written) == list(range(7))
    assert output.read_text(encoding="utf-8") == expected


def test_the_shared_filesystem_probe_checks_the_input_and_the_token(tmp_path):
    from toolkit.batch.cluster import _probe_shared

    source, probe = tmp_path / "articles.jsonl", tmp_path / ".probe"
    source.write_text("{}\n")
    probe.write_text("token")
    stat = source.stat()
    assert _probe_shared(str(source), stat.st_size, stat.st_mtime_ns, str(probe), "token")
    assert not _probe_shared(str(source), stat.st_size, stat.st_mtime_ns, str(probe), "other")
    assert not _probe_shared(str(source), stat.st_size + 1, stat.st_mtime_ns, str(probe), "token")
    assert not _probe_shared(str(tmp_path / "elsewhere"), stat.st_size, stat.st_mtime_ns, str(probe), "token")


def test_a_killed_predict_process_resumes_to_the_same_bytes(model, tmp_path):
    """A real `toolkit predict` killed with SIGKILL once some chunks are done, then run again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(a) + "\n" for a in synthetic_articles(3000)), encoding="utf-8")
    articles = write_articles(tmp_path / "articles.jsonl", ingest([raw]).articles)
    env = os.environ | {"MLFLOW_TRACKING_URI": model["uri"]}
    run = [
        sys.executable,
        "-c",
        "from toolkit.cli import main; main()",
        "predict",
        model["model"],
        str(articles),
    ]
    whole = tmp_path / "whole.jsonl"
    subprocess.run([*run, "-o", str(whole), "--chunk-size", "1000"], env=env, check=True, capture_output=True)
    output = tmp_path / "out.jsonl"
    parts = batch.parts_folder(output)
    process = subprocess.Popen(
        [*run, "-o", str(output), "--chunk-size", "5"], env=env, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while len(list(parts.glob("*.done"))) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = len(list(parts.glob("*.done")))
    assert not output.exists() and 3 <= done < 600, done  # killed mid-run, with chunks left to do
    resumed = subprocess.run(
        [*run, "-o", str(output), "--chunk-size", "5"], env=env, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"in 600 chunks ({done} done by an earlier run)" in resumed.stdout
    assert output.read_bytes() == whole.read_bytes()
