# One image for every part of kinerja: `kinerja serve <registry|evidence|scoring|gateway>`.
# Build: docker build -t kinerja:latest .
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# the runtime lock only: no test, lint or type-check tools in the image
COPY requirements-run.lock pyproject.toml README.md* ./
RUN python -m venv /opt/kinerja && /opt/kinerja/bin/pip install -r requirements-run.lock
COPY kernel ./kernel
COPY contracts ./contracts
COPY services ./services
COPY gateway ./gateway
COPY runner ./runner
COPY migrations ./migrations
RUN /opt/kinerja/bin/pip install --no-deps . \
    && cp -r migrations /opt/kinerja/migrations

FROM python:3.11-slim
# libmagic: type sniffing of evidence uploads
RUN apt-get update && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app kinerja
COPY --from=build /opt/kinerja /opt/kinerja
WORKDIR /app
COPY --chown=kinerja migrations ./migrations
ENV PATH=/opt/kinerja/bin:$PATH PYTHONUNBUFFERED=1 KINERJA_ENVIRONMENT=production KINERJA_LOG_FORMAT=json
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
ENTRYPOINT ["kinerja"]
CMD ["serve", "gateway", "--host", "0.0.0.0", "--port", "8000"]
