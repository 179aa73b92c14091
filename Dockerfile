# Rampart jobs image: backup and restore-drill jobs (Cloud Run jobs, ECS tasks, cron on a VPS).
# The install steps live in tools/jobs-image.sh so `make test` exercises them on the host.
# Build: docker build --build-arg PG_MAJOR=17 -t rampart:0.1.0 .   (PG_MAJOR = posture database.major)
FROM node:24.11.1-bookworm-slim

ARG PG_MAJOR=17
# NODE_COMPILE_CACHE: pre-warmed by the install step (for the job user, read-only to it); every run reuses
# the compiled, type-stripped CLI instead of redoing that work (~0.1 s and ~20 MB per run).
ENV NODE_ENV=production \
    RAMPART_IN_IMAGE=1 \
    NODE_COMPILE_CACHE=/opt/rampart/.compile-cache

WORKDIR /opt/rampart
COPY package.json package-lock.json ./
COPY tools/jobs-image.sh tools/jobs-image.sh
COPY posture posture
COPY bin bin
COPY scripts scripts
# Stack files only: never key material that may sit next to them (e.g. demo identities).
COPY stacks/Pulumi.*.yaml stacks/
COPY Pulumi.yaml Pulumi.yaml
RUN bash tools/jobs-image.sh install "${PG_MAJOR}" /opt/rampart \
 && bash tools/jobs-image.sh verify

# Never run jobs as root; the jobs need no writable image paths besides $HOME and /tmp.
USER 10001:10001
ENTRYPOINT ["rampart"]
CMD ["--help"]
