import json

import numpy as np
import pytest

from helpers import write_corpus
from scalinglaws import ScalingLawsError
from scalinglaws.training.batches import get_batch
from scalinglaws.training.data import TokenData, is_validation, prepare, python_stdlib_documents
from scalinglaws.training.tokenizers import BPETokenizer


def test_stdlib_source_skips_tests_and_site_packages_in_sorted_order(tmp_path):
    for rel in [
        "b.py",
        "a/x.py",
        "a/test/t.py",
        "tests/u.py",
        "site-packages/pkg/m.py",
        "notes.txt",
        "idlelib/idle_test/i.py",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"# {rel}\n")
    docs = list(python_stdlib_documents(tmp_path))
    assert [k for k, _ in docs] == ["a/x.py", "b.py"]
    assert docs[1][1] == "# b.py\n"


def test_real_stdlib_is_the_default_corpus():
    keys = [k for k, _ in python_stdlib_documents()]
    assert "os.py" in keys and "json/decoder.py" in keys
    assert keys == sorted(keys)
    assert not any("/test/" in f"/{k}" or "site-packages" in k for k in keys)


def test_split_is_by_key_hash_and_deterministic():
    keys = [f"file{i}.py" for i in range(2000)]
    val = [k for k in keys if is_validation(k, 0.1)]
    assert 150 < len(val) < 250
    assert val == [k for k in keys if is_validation(k, 0.1)]


def test_prepare_files_writes_tokens_and_meta(tmp_path, corpus_dir):
    meta = prepare(tmp_path / "d", {"source": "files", "files": [str(corpus_dir / "*.txt")]}, val_fraction=0.2)
    on_disk = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert on_disk == meta
    for key in ("source", "tokenizer", "vocab_size", "train_tokens", "val_tokens", "text_sha256"):
        assert key in meta
    d = TokenData.open(tmp_path / "d")
    assert len(d.train) == meta["train_tokens"] and len(d.val) == meta["val_tokens"]
    assert meta["train_documents"] + meta["val_documents"] == 40
    # the byte tokenizer: document text bytes, each document followed by the NUL separator
    first = (corpus_dir / "doc000.txt").read_bytes()
    stream = d.val if is_validation(str(corpus_dir / "doc000.txt"), 0.2) else d.train
    assert bytes(stream[: len(first)].astype(np.uint8)) == first and stream[len(first)] == 0
    # no document in both splits: every document's text is found in exactly one split
    train_b, val_b = bytes(d.train.astype(np.uint8)), bytes(d.val.astype(np.uint8))
    for f in sorted(corpus_dir.glob("*.txt")):
        text = f.read_bytes()
        assert (text in train_b) != (text in val_b), f


def test_same_text_same_hash_different_text_different_hash(tmp_path, corpus_dir):
    src = {"source": "files", "files": [str(corpus_dir / "*.txt")]}
    a = prepare(tmp_path / "a", src, val_fraction=0.2)
    b = prepare(tmp_path / "b", src, val_fraction=0.2)
    assert a["text_sha256"] == b["text_sha256"] and a["fingerprint"] == b["fingerprint"]
    other = write_corpus(tmp_path / "other", seed=1)
    c = prepare(tmp_path / "c", {"source": "files", "files": [str(other / "*.txt")]}, val_fraction=0.2)
    assert c["text_sha256"] != a["text_sha256"] and c["fingerprint"] != a["fingerprint"]


def test_max_tokens_caps_the_total(tmp_path, corpus_dir):
    meta = prepare(
        tmp_path / "d", {"source": "files", "files": [str(corpus_dir / "*.txt")]}, val_fraction=0.2, max_tokens=5000
    )
    assert meta["train_tokens"] + meta["val_tokens"] == 5000
    assert meta["val_tokens"] == 1000


def test_bpe_is_trained_on_train_split_and_saved(tmp_path, corpus_dir):
    meta = prepare(
        tmp_path / "d",
        {"source": "files", "files": [str(corpus_dir / "*.txt")]},
        "bpe",
        vocab_size=300,
        val_fraction=0.2,
    )
    assert meta["tokenizer"] == "bpe" and meta["vocab_size"] == 300
    tok = BPETokenizer.load(tmp_path / "d" / "tokenizer.json")
    d = TokenData.open(tmp_path / "d")
    assert int(d.train.max()) < 300
    assert meta["train_tokens"] < 0.7 * 40 * 1700  # BPE merges compress the byte stream
    assert tok.decode(tok.encode_batch(["the of and to"])[0]) == "the of and to"


def test_tiktoken_offline_fails_with_a_clear_message(tmp_path, monkeypatch, corpus_dir):
    # Force "offline" even on a machine with network: an empty cache and a dead proxy.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    with pytest.raises(ScalingLawsError, match=r"data.tokenizer 'tiktoken:gpt2'.*needs the network once"):
        prepare(
            tmp_path / "d", {"source": "files", "files": [str(corpus_dir / "*.txt")]}, "tiktoken:gpt2", val_fraction=0.2
        )
    # the tokenizer is checked before the corpus is read: an empty source gives the same error
    with pytest.raises(ScalingLawsError, match=r"data.tokenizer 'tiktoken:gpt2'"):
        prepare(tmp_path / "e", {"source": "files", "files": [str(tmp_path / "none" / "*.txt")]}, "tiktoken:gpt2")


def _hf_rows(n=30):
    return [{"id": i, "content": f"document {i}: " + "lorem ipsum dolor sit amet " * 20} for i in range(n)]


@pytest.mark.parametrize("fmt", ["parquet", "json"])
@pytest.mark.parametrize("streaming", [True, False])
def test_huggingface_source_loads_a_local_dataset(tmp_path, monkeypatch, fmt, streaming):
    import pandas as pd

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    df = pd.DataFrame(_hf_rows())
    f = tmp_path / f"corpus.{fmt}"
    df.to_parquet(f) if fmt == "parquet" else df.to_json(f, orient="records", lines=True)
    src = {
        "source": "huggingface",
        "hf_path": fmt,
        "data_files": str(f),
        "text_field": "content",
        "streaming": streaming,
    }
    meta = prepare(tmp_path / "d", src, val_fraction=0.2)
    assert meta["train_documents"] + meta["val_documents"] == 30
    text = "".join(r["content"] for r in _hf_rows())
    assert meta["train_tokens"] + meta["val_tokens"] == len(text.encode()) + 30  # + one separator a document
    capped = prepare(tmp_path / "c", src, val_fraction=0.2, max_tokens=1000)
    assert capped["train_tokens"] + capped["val_tokens"] == 1000


def test_huggingface_missing_text_field_names_it(tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    f = tmp_path / "c.parquet"
    pd.DataFrame(_hf_rows()).to_parquet(f)
    src = {"source": "huggingface", "hf_path": "parquet", "data_files": str(f), "text_field": "text"}
    with pytest.raises(ScalingLawsError, match=r"data.text_field 'text' is not a column"):
        prepare(tmp_path / "d", src)


@pytest.mark.parametrize(
    "source,tokenizer,match",
    [
        ({"source": "web"}, "bytes", "data.source 'web' is not one of"),
        ({"source": "files", "files": ["/nonexistent/*.txt"]}, "bytes", "no file matches"),
        ({"source": "files", "files": ["EMPTY"]}, "bytes", "corpus is empty"),
        ({"source": "python-stdlib"}, "wordpiece", "data.tokenizer 'wordpiece' is not one of"),
    ],
)
def test_bad_sources_are_clear_errors(tmp_path, source, tokenizer, match):
    (tmp_path / "empty.txt").write_text("")
    if source.get("files") == ["EMPTY"]:
        source = {**source, "files": [str(tmp_path / "empty.txt")]}
    with pytest.raises(ScalingLawsError, match=match):
        prepare(tmp_path / "d", source, tokenizer)
    assert not (tmp_path / "d" / "meta.json").exists()


def test_token_file_size_mismatch_is_refused(tmp_path, corpus_dir):
    prepare(tmp_path / "d", {"source": "files", "files": [str(corpus_dir / "*.txt")]}, val_fraction=0.2)
    with open(tmp_path / "d" / "train.bin", "ab") as f:
        f.write(b"\0\0")
    with pytest.raises(ScalingLawsError, match=r"train.bin: .* bytes, but .*meta.json says"):
        TokenData.open(tmp_path / "d")


def test_batches_are_a_pure_function_of_seed_and_step(data):
    x1, y1 = get_batch(data.train, 17, 3, 8, 32)
    x2, y2 = get_batch(data.train, 17, 3, 8, 32)
    assert x1.equal(x2) and y1.equal(y2)
    assert x1.shape == (8, 32)
    assert x1[:, 1:].equal(y1[:, :-1])  # targets are the next tokens
    assert not get_batch(data.train, 18, 3, 8, 32)[0].equal(x1)
    assert not get_batch(data.train, 17, 4, 8, 32)[0].equal(x1)
