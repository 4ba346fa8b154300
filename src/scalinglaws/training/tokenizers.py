"""Tokenizers, by name: ``bytes``, ``bpe`` and ``tiktoken:<encoding>``.

A tokenizer here is anything with ``name``, ``vocab_size``, ``eot`` (the id put between
documents) and ``encode_batch(texts) -> list[list[int]]``.

- ``bytes``: UTF-8 bytes, vocabulary 256. Byte 0 (NUL, absent from source code and prose)
  separates documents, so no id is added to the vocabulary.
- ``bpe``: byte-level BPE trained with Hugging Face ``tokenizers`` on the training split,
  saved as ``tokenizer.json`` beside the token files.
- ``tiktoken:<encoding>``: an OpenAI encoding; its vocabulary is downloaded once and cached
  by tiktoken, so offline it fails with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scalinglaws import ScalingLawsError

EOT_TEXT = "<|endoftext|>"


class ByteTokenizer:
    name = "bytes"
    vocab_size = 256
    eot = 0

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [list(t.encode("utf-8")) for t in texts]

    def decode(self, ids: Iterable[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")


class BPETokenizer:
    """Byte-level BPE from Hugging Face ``tokenizers``; ``train`` it, or ``load`` a saved one."""

    name = "bpe"

    def __init__(self, hf_tokenizer):
        self._tok = hf_tokenizer
        self.vocab_size = hf_tokenizer.get_vocab_size()
        self.eot = hf_tokenizer.token_to_id(EOT_TEXT)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int) -> BPETokenizer:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        if vocab_size < 257:
            raise ScalingLawsError(f"data.vocab_size {vocab_size} is too small for bpe: it needs at least 257")
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=[EOT_TEXT],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(texts, trainer=trainer)
        return cls(tok)

    @classmethod
    def load(cls, path: Path) -> BPETokenizer:
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(path)))

    def save(self, path: Path) -> None:
        self._tok.save(str(path))

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(texts)]

    def decode(self, ids: Iterable[int]) -> str:
        return self._tok.decode(list(ids))


class TiktokenTokenizer:
    def __init__(self, encoding_name: str):
        import tiktoken

        self.name = f"tiktoken:{encoding_name}"
        try:
            self._enc = tiktoken.get_encoding(encoding_name)
        except ValueError as e:  # unknown encoding name
            first = str(e).splitlines()[0] if str(e) else "unknown encoding"
            raise ScalingLawsError(f"data.tokenizer {self.name!r}: {first}") from None
        except Exception as e:  # network: requests/urllib errors, blob download failures
            raise ScalingLawsError(
                f"data.tokenizer {self.name!r}: tiktoken could not download the vocabulary of "
                f"{encoding_name!r} ({type(e).__name__}). It needs the network once; offline, point "
                "TIKTOKEN_CACHE_DIR at a cache made on a machine with network, or use 'bytes' or 'bpe'."
            ) from None
        self.vocab_size = self._enc.n_vocab
        self.eot = self._enc.eot_token

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self._enc.encode_ordinary_batch(texts)

    def decode(self, ids: Iterable[int]) -> str:
        return self._enc.decode(list(ids))


TOKENIZERS = ("bytes", "bpe", "tiktoken:<encoding>")


def check_name(name: str) -> None:
    if name in ("bytes", "bpe") or (name.startswith("tiktoken:") and len(name) > len("tiktoken:")):
        return
    raise ScalingLawsError(f"data.tokenizer {name!r} is not one of {', '.join(TOKENIZERS)}")


def build(name: str, train_texts: Iterable[str] = (), vocab_size: int | None = None):
    """A ready tokenizer by name; ``bpe`` is trained on ``train_texts`` here."""
    check_name(name)
    if name == "bytes":
        return ByteTokenizer()
    if name == "bpe":
        if vocab_size is None:
            raise ScalingLawsError("data.vocab_size is required for the bpe tokenizer")
        return BPETokenizer.train(train_texts, vocab_size)
    return TiktokenTokenizer(name.split(":", 1)[1])
