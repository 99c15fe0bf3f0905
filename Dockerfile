# graphcdm listener image (used by docker-compose.yml). Python 3.11 as in CI.
#
# Stage 1 builds the wheel from the checkout, as tests/functional/test_install.py
# does (setuptools-scm reads the version from .git; without .git in the build
# context, pass --build-arg GRAPHCDM_VERSION=x.y.z). Stage 2 installs only that
# wheel: no source tree, no build tools, every Cypher statement in the package.
FROM python:3.11-slim AS build
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir build
WORKDIR /src
COPY . .
ARG GRAPHCDM_VERSION=
RUN if [ -n "$GRAPHCDM_VERSION" ]; then export SETUPTOOLS_SCM_PRETEND_VERSION="$GRAPHCDM_VERSION"; fi \
    && python -m build --wheel --outdir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/graphcdm-*.whl \
    && rm -rf /tmp/dist \
    && useradd --system --no-create-home --home-dir /nonexistent graphcdm
USER graphcdm
# Configuration: /etc/graphcdm/graphcdm.conf when mounted (oslo.config's default
# location), GRAPHCDM_* environment variables over it; openstacksdk reads
# /etc/openstack/clouds.yaml for the [nova] resync.
EXPOSE 9717
# /healthz answers 200 while the listener consumes and Neo4j answers (non-200
# otherwise); the port is [metrics] port, 9717 by default.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GRAPHCDM_HEALTH_PORT', '9717'), timeout=4)"]
ENTRYPOINT ["graphcdm"]
CMD ["listen"]
