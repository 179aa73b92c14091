#!/bin/sh
# OnFailure= handler of the Rampart job units: publishes "<unit> failed" to the alert topic with the
# alerts key (sns:Publish on that topic only). systemd loads /etc/rampart/alerts.env; the credentials
# reach the AWS CLI container through --env-file, never through argv. The message names the unit, the
# host and where to look; it holds no secret and no job output.
set -eu
unit="$1"
host="$(hostname)"
at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# RAMPART_DOCKER: only for tests, which run the script against a recording stand-in.
exec "${RAMPART_DOCKER:-/usr/bin/docker}" run --rm --env-file=/etc/rampart/alerts.env "$RAMPART_AWS_CLI_IMAGE" \
  sns publish \
  --region "$AWS_REGION" \
  --topic-arn "$RAMPART_ALERT_TOPIC_ARN" \
  --subject "Rampart ${RAMPART_STACK}: ${unit} failed" \
  --message "Rampart ${RAMPART_STACK}: ${unit} failed on ${host} at ${at}. Inspect with: journalctl -u ${unit} --since -1d (runbooks/ in the Rampart repository)."
