# graphcdm listener image (used by docker-compose.yml). Python 3.11 as in CI.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /opt/graphcdm
COPY setup.cfg setup.py README.md ./
COPY graphcdm ./graphcdm
COPY cypher ./cypher
COPY etc ./etc
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /opt/graphcdm graphcdm
USER graphcdm
# Configuration: /etc/graphcdm/graphcdm.conf if mounted, GRAPHCDM_* env otherwise.
EXPOSE 9717
ENTRYPOINT ["graphcdm"]
CMD ["listen"]
