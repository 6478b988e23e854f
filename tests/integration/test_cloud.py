"""Cloud-style clusters: kpipe against scripts/kafka-local's TLS listeners.

Every listener (SSL, mTLS, SASL_SSL PLAIN, SCRAM-SHA-256/512, OAUTHBEARER) with the
right settings, through the profile kinds the README shows (confluent-cloud,
event-hubs, msk-scram, aiven, oauth), for produce, consume, topics and lag; every
wrong setting (password, mechanism, CA, host name, client certificate, token) is exit 4
with one stderr line naming the cause; `kpipe config check`; secrets from ${ENV} and
*_command and never in any output (the `run` fixture checks every run's output).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import urllib.request
import uuid

import kafkautil
import pytest
from conftest import assert_no_secrets
from streams import Running, produce

# --timeout for runs that must fail: they fail on the broker's answer, or by then.
FAIL_TIMEOUT = "10s"


def write_profile(tmp_path, body: str, name: str = "p", mode: int = 0o600):
    path = tmp_path / f"config-{uuid.uuid4().hex[:8]}.toml"
    path.write_text(f"[profiles.{name}]\n{body}")
    path.chmod(mode)
    return path


def toml_lines(**keys: str) -> str:
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())


# Profiles for each listener with the right settings: name -> (listener, keys). Secrets
# come from the environment (${...}), which `env` below provides.
def good_profiles(sec: dict[str, str]) -> dict[str, dict[str, str]]:
    ca = sec["KPIPE_TEST_CA"]
    return {
        "ssl": dict(brokers=sec["KPIPE_TEST_SSL_BROKERS"], security_protocol="SSL", ca_file=ca),
        "aiven": dict(kind="aiven", brokers=sec["KPIPE_TEST_MTLS_BROKERS"], ca_file=ca,
                      cert_file=sec["KPIPE_TEST_CLIENT_CERT"], key_file=sec["KPIPE_TEST_CLIENT_KEY"]),
        "mtls-pkcs12": dict(brokers=sec["KPIPE_TEST_MTLS_BROKERS"], security_protocol="SSL", ca_file=ca,
                            cert_file=sec["KPIPE_TEST_CLIENT_P12"], key_password="${P12_PASSWORD}"),
        "confluent-cloud": dict(kind="confluent-cloud", brokers=sec["KPIPE_TEST_SASL_SSL_BROKERS"],
                                api_key="alice", api_secret="${KAFKA_PASSWORD}", ca_file=ca),
        "event-hubs": dict(kind="event-hubs", connection_string="${HUBS}", ca_file=ca),
        "scram-sha-256": dict(brokers=sec["KPIPE_TEST_SCRAM_BROKERS"], security_protocol="SASL_SSL",
                              sasl_mechanism="SCRAM-SHA-256", user="alice", password="${KAFKA_PASSWORD}",
                              ca_file=ca),
        "msk-scram": dict(kind="msk-scram", brokers=sec["KPIPE_TEST_SCRAM_BROKERS"], user="alice",
                          password_command="printf %s \"$KAFKA_PASSWORD\"", ca_file=ca),
        "oauth": dict(kind="oauth", brokers=sec["KPIPE_TEST_OAUTH_BROKERS"],
                      token_endpoint=sec["KPIPE_TEST_OAUTH_TOKEN_URL"], client_id="kpipe-client",
                      client_secret="${CLIENT_SECRET}", token_ca_file=ca, ca_file=ca),
    }


@pytest.fixture
def env(security) -> dict[str, str]:
    return {
        "KPIPE_BROKERS": "",
        "KAFKA_PASSWORD": security["KPIPE_TEST_PASSWORD"],
        "P12_PASSWORD": security["KPIPE_TEST_CLIENT_P12_PASSWORD"],
        "HUBS": security["KPIPE_TEST_EVENT_HUBS_CONNECTION_STRING"],
        "CLIENT_SECRET": security["KPIPE_TEST_OAUTH_CLIENT_SECRET"],
    }


@pytest.fixture
def kp(run, env, tmp_path):
    """kp(keys, *args, extra_env=None) runs kpipe with a profile made of `keys`."""

    def _kp(keys: dict[str, str], *args, extra_env: dict[str, str] | None = None, **kw):
        cfg = write_profile(tmp_path, toml_lines(**keys))
        return run("--config", cfg, "--profile", "p", *args, env={**env, **(extra_env or {})}, **kw)

    return _kp


def lines_of(n: int, tag: str) -> bytes:
    return b"".join(json.dumps({"id": i, "tag": tag}).encode() + b"\n" for i in range(n))


@pytest.mark.parametrize("profile", ["ssl", "aiven", "mtls-pkcs12", "confluent-cloud", "event-hubs",
                                     "scram-sha-256", "msk-scram", "oauth"])
def test_each_listener_produce_consume_topics_lag(kp, security, topic, read_topic, request, profile):
    keys = good_profiles(security)[profile]
    t = topic(partitions=2)
    group = kafkautil.unique_topic_name(f"grp-{request.node.name}")

    r = kp(keys, "produce", t, input=lines_of(10, profile))
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(json.loads(x.value)["id"] for x in read_topic(t)) == list(range(10))

    r = kp(keys, "consume", t, "-g", group, "-e", "--output", "value")
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(json.loads(x)["id"] for x in r.stdout.splitlines()) == list(range(10))

    r = kp(keys, "topics", "list", "-o", "json")
    assert r.returncode == 0, r.stderr.decode()
    assert t in [x["name"] for x in json.loads(r.stdout)]

    r = kp(keys, "lag", group, "-o", "json")
    assert r.returncode == 0, r.stderr.decode()
    doc = json.loads(r.stdout)
    assert [g["totals"]["lag"] for g in doc["groups"] if g["group"] == group] == [0]


@pytest.mark.parametrize("profile", ["aiven", "confluent-cloud", "scram-sha-256", "oauth"])
def test_tail_over_each_kind_of_authentication(kp, security, topic, kpipe_bin, env, tmp_path, profile):
    # Running passes no environment of its own: the secrets go into the (private) file.
    keys = {k: re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], v) for k, v in good_profiles(security)[profile].items()}
    cfg = write_profile(tmp_path, toml_lines(**keys))
    t = topic()
    assert kp(good_profiles(security)[profile], "produce", t, input=lines_of(3, "tail")).returncode == 0
    k = Running(kpipe_bin, "", "--config", str(cfg), "--profile", "p", "tail", t, "-n", "3")
    try:
        assert [json.loads(x)["value"]["id"] for x in k.wait_lines(3)] == [0, 1, 2]
        assert kp(good_profiles(security)[profile], "produce", t, input=lines_of(1, "more")).returncode == 0
        assert json.loads(k.wait_lines(4)[3])["value"] == {"id": 0, "tag": "more"}
        assert k.interrupt() == 0, k.err_lines
    finally:
        k.kill()
    assert_no_secrets(b"".join(k.lines), "".join(k.err_lines).encode())


def changed(keys: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    """`keys` with `changes` made: a None value removes the key."""
    out = {**keys, **changes}
    return {k: v for k, v in out.items() if v is not None}


def wrong_env(security: dict[str, str], brokers: str) -> dict[str, str]:
    """The wrong settings' ${...}: another CA, the listener with a foreign host name..."""
    return {"OTHER_CA": security["KPIPE_TEST_OTHER_CA"], "BADHOST": security["KPIPE_TEST_BADHOST_BROKERS"],
            "STRANGER_CERT": security["KPIPE_TEST_STRANGER_CERT"],
            "STRANGER_KEY": security["KPIPE_TEST_STRANGER_KEY"], "PLAIN": brokers}


# Wrong settings: (name, changes to a good profile, words the one stderr line must hold).
WRONG = [
    ("password", "confluent-cloud", dict(api_secret="wrong-pw-123"), "wrong user name or password"),
    ("scram password", "msk-scram", dict(password_command="echo wrong-pw-123"), "wrong user name or password"),
    ("mechanism", "scram-sha-256", dict(sasl_mechanism="PLAIN"), "does not offer SASL PLAIN"),
    ("other CA", "ssl", dict(ca_file="${OTHER_CA}"), "not signed by a CA kpipe trusts"),
    ("system CA store", "ssl", dict(ca_file=None), "not signed by a CA kpipe trusts"),
    ("host name", "ssl", dict(brokers="${BADHOST}"), "host name mismatch"),
    ("no client certificate", "aiven", dict(kind=None, security_protocol="SSL", cert_file=None, key_file=None),
     "requires a client certificate"),
    ("foreign client certificate", "aiven", dict(cert_file="${STRANGER_CERT}", key_file="${STRANGER_KEY}"),
     "refused the client certificate"),
    ("plaintext to TLS", "ssl", dict(security_protocol="PLAINTEXT", ca_file=None), "expects TLS"),
    ("TLS to plaintext", "ssl", dict(brokers="${PLAIN}"), "does not speak TLS"),
    ("SCRAM to a PLAIN listener", "confluent-cloud", dict(kind=None, security_protocol="SASL_SSL",
                                                          sasl_mechanism="SCRAM-SHA-512", user="alice",
                                                          password="${KAFKA_PASSWORD}", api_key=None, api_secret=None),
     "does not offer SASL SCRAM-SHA-512"),
    ("client secret", "oauth", dict(client_secret="wrong-pw-123"), "client id or secret is wrong"),
    ("token endpoint down", "oauth", dict(token_endpoint="https://127.0.0.1:1/token"), "cannot get a token from"),
    ("token endpoint untrusted", "oauth", dict(token_ca_file=None), "SSL certificate problem"),
    ("expired token", "oauth", dict(client_id="expired", client_secret="expired-secret"), "expired"),
    ("token signed by another key", "oauth", dict(client_id="foreign", client_secret="foreign-secret"),
     "rejected the token"),
]


@pytest.mark.parametrize("name,base,changes,cause", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_setting_is_exit_4_naming_the_cause(kp, security, brokers, name, base, changes, cause):
    keys = changed(good_profiles(security)[base], changes)
    extra = wrong_env(security, brokers)
    for args in (["topics", "list"], ["produce", "t-never-made"], ["consume", "t-never-made", "-e"]):
        r = kp(keys, "--timeout", FAIL_TIMEOUT, *args, extra_env=extra, input=b'{"a":1}\n', timeout=40)
        err = r.stderr.decode()
        assert r.returncode == 4, f"{args}: {err}"
        assert len(err.splitlines()) == 1, err
        assert cause in err, err


def test_pkcs12_ca_bundle_and_a_wrong_bundle_password(kp, security, tmp_path):
    ca_p12 = tmp_path / "ca.p12"
    subprocess.run(["openssl", "pkcs12", "-export", "-nokeys", "-in", security["KPIPE_TEST_CA"], "-passout",
                    "pass:p12-secret", "-out", str(ca_p12)], check=True, capture_output=True)
    keys = dict(good_profiles(security)["mtls-pkcs12"], ca_file=str(ca_p12), ca_password="${P12_PASSWORD}")
    r = kp(keys, "topics", "list", "-o", "json")
    assert r.returncode == 0, r.stderr.decode()
    doc = json.loads(kp(keys, "config", "show", "-o", "json").stdout)
    assert doc["ssl.ca.pem"]["value"] == "(PEM: 1 certificate)"
    assert doc["ssl.key.pem"]["value"] == "[redacted]"
    r = kp(dict(keys, key_password="wrong-pw-123"), "topics", "list")
    assert r.returncode == 2
    assert b"wrong password" in r.stderr and security["KPIPE_TEST_CLIENT_P12"].encode() in r.stderr


def test_tls_verification_off_warns_on_every_run(kp, security):
    keys = dict(good_profiles(security)["ssl"], brokers=security["KPIPE_TEST_BADHOST_BROKERS"],
                insecure_skip_tls_verify="true")
    keys.pop("ca_file")
    for quiet in ([], ["-q"]):
        r = kp(keys, *quiet, "topics", "list", "-o", "json")
        assert r.returncode == 0, r.stderr.decode()
        assert b"TLS certificate verification is OFF" in r.stderr


# --- secrets -----------------------------------------------------------------


def test_password_command_and_env_secrets_never_shown(run, security, tmp_path, env):
    keys = good_profiles(security)["msk-scram"]
    cfg = write_profile(tmp_path, toml_lines(**keys))
    for args in (["config", "show"], ["config", "show", "-o", "json"], ["-vvv", "topics", "list"]):
        r = run("--config", cfg, "--profile", "p", *args, env=env)
        assert r.returncode == 0, r.stderr.decode()
    r = run("--config", cfg, "--profile", "p", "config", "show", "-o", "json", env=env)
    doc = json.loads(r.stdout)
    assert doc["sasl.password"] == {"value": "[redacted]", "origin": "command",
                                    "source": f"{cfg} [profiles.p] password_command"}
    assert doc["sasl.mechanisms"]["value"] == "SCRAM-SHA-512"
    assert doc["security.protocol"]["source"] == f"{cfg} [profiles.p] kind = msk-scram"


def test_oauth_token_and_client_secret_never_shown(kp, security):
    keys = good_profiles(security)["oauth"]
    for args in (["-vvv", "topics", "list"], ["config", "show"], ["-vvv", "config", "check"]):
        r = kp(keys, *args)
        assert r.returncode == 0, r.stderr.decode()
        assert b"eyJ" not in r.stdout + r.stderr  # the start of every JWT
    doc = json.loads(kp(keys, "config", "show", "-o", "json").stdout)
    assert doc["oauth.client_secret"]["value"] == "[redacted]"


def test_failing_password_command_is_a_usage_error_without_its_output(run, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("very-secret-pw\n")
    cfg = write_profile(tmp_path, toml_lines(brokers="x:1", user="u", password_command=f"cat {secret}; exit 3"))
    r = run("--config", cfg, "--profile", "p", "topics", "list")
    assert r.returncode == 2
    assert b"password_command" in r.stderr and b"exit status 3" in r.stderr


def test_readable_config_with_a_secret_warns(run, tmp_path):
    body = toml_lines(brokers="127.0.0.1:1", user="u", password="very-secret-pw")
    cfg = write_profile(tmp_path, body, mode=0o644)
    r = run("--config", cfg, "--profile", "p", "config", "show")
    assert r.returncode == 0
    assert b"readable by others" in r.stderr and b"chmod 600" in r.stderr
    cfg.chmod(0o600)
    r = run("--config", cfg, "--profile", "p", "config", "show")
    assert b"readable" not in r.stderr
    cfg = write_profile(tmp_path, toml_lines(brokers="x:1", user="u", password="${KAFKA_PASSWORD}"), mode=0o644)
    r = run("--config", cfg, "--profile", "p", "config", "show", env={"KAFKA_PASSWORD": "very-secret-pw"})
    assert b"readable" not in r.stderr


# --- Event Hubs connection strings --------------------------------------------


def hubs(port: str, **parts: str) -> str:
    fields = dict(Endpoint=f"sb://localhost:{port}/", SharedAccessKeyName="kpipe", SharedAccessKey="hubs-secret-key",
                  EntityPath="kpipe-hubs")
    fields.update(parts)
    return ";".join(f"{k}={v}" for k, v in fields.items() if v is not None)


def show_json(run, cfg, env):
    r = run("--config", cfg, "--profile", "p", "config", "show", "-o", "json", env=env)
    return r, (json.loads(r.stdout) if r.returncode == 0 else None)


def test_event_hubs_connection_string_good_spaces_and_entity_path(run, security, tmp_path, admin, env, read_topic):
    port = security["KPIPE_TEST_SASL_SSL_BROKERS"].rsplit(":", 1)[1]
    ca = security["KPIPE_TEST_CA"]
    cfg = write_profile(tmp_path, toml_lines(kind="event-hubs", connection_string="${HUBS}", ca_file=ca))
    r, doc = show_json(run, cfg, env)
    assert doc["bootstrap.servers"]["value"] == f"localhost:{port}"
    assert doc["sasl.username"]["value"] == "$ConnectionString"
    assert doc["sasl.mechanisms"]["value"] == "PLAIN" and doc["security.protocol"]["value"] == "SASL_SSL"
    assert doc["default_topic"]["value"] == "kpipe-hubs"

    # EntityPath is the topic produce, consume and tail use when none is named. The hub
    # name is fixed by the broker's login, so the records carry an id of this run.
    if "kpipe-hubs" not in admin.list_topics(timeout=10).topics:
        kafkautil.create_topic(admin, "kpipe-hubs")
    tag = uuid.uuid4().hex
    spaced = " " + hubs(port).replace(";", " ; ").replace("=", " = ", 1) + " "
    cfg = write_profile(tmp_path, toml_lines(kind="event-hubs", connection_string="${HUBS_SPACED}", ca_file=ca))
    e = {**env, "HUBS_SPACED": spaced}
    r = run("--config", cfg, "--profile", "p", "produce", input=lines_of(3, tag), env=e)
    assert r.returncode == 0, r.stderr.decode()
    assert [json.loads(x.value)["id"] for x in read_topic("kpipe-hubs") if tag.encode() in x.value] == [0, 1, 2]
    r = run("--config", cfg, "--profile", "p", "consume", "-e", "--output", "value", env=e)
    assert r.returncode == 0, r.stderr.decode()
    assert [json.loads(x)["id"] for x in r.stdout.splitlines() if tag.encode() in x] == [0, 1, 2]

    # Without EntityPath there is no default topic: naming none is a usage error.
    cfg = write_profile(tmp_path, toml_lines(kind="event-hubs", connection_string=hubs(port, EntityPath=None),
                                             ca_file=ca), mode=0o600)
    r, doc = show_json(run, cfg, env)
    assert "default_topic" not in doc
    r = run("--config", cfg, "--profile", "p", "consume", "-e", env=env)
    assert r.returncode == 2 and b"give a topic" in r.stderr


@pytest.mark.parametrize("missing", ["Endpoint", "SharedAccessKeyName", "SharedAccessKey"])
def test_event_hubs_connection_string_missing_part(run, tmp_path, missing):
    cs = hubs("9093", **{missing: None})
    cfg = write_profile(tmp_path, toml_lines(kind="event-hubs", connection_string=cs))
    r = run("--config", cfg, "--profile", "p", "config", "show")
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert f"missing {missing}" in err and f"{cfg}:" in err
    assert "hubs-secret-key" not in err


# --- OAUTHBEARER token refresh -------------------------------------------------


def issued(security, client: str) -> int:
    with urllib.request.urlopen(security["KPIPE_TEST_OAUTH_STATS_URL"], timeout=10) as f:
        return json.load(f)["issued"].get(client, 0)


@pytest.mark.slow
def test_oauth_tokens_are_refreshed_during_a_long_run(kp, security, topic, read_topic):
    # short-lived's tokens last 6 s; a 15 s produce needs several, fetched by kpipe
    # through librdkafka's refresh callback while it runs.
    keys = dict(good_profiles(security)["oauth"], client_id="short-lived", client_secret="short-lived-secret")
    t = topic()
    before = issued(security, "short-lived")
    r = kp(keys, "produce", t, "--rate", "2", input=lines_of(30, "refresh"), timeout=90)
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(json.loads(x.value)["id"] for x in read_topic(t)) == list(range(30))
    assert issued(security, "short-lived") - before >= 3


def refused(security, client: str) -> int:
    with urllib.request.urlopen(security["KPIPE_TEST_OAUTH_STATS_URL"], timeout=10) as f:
        return json.load(f)["refused"].get(client, 0)


@pytest.mark.slow
def test_a_failed_refresh_while_the_token_is_valid_is_not_fatal(kpipe_bin, security, topic, brokers, tmp_path):
    # flaky's tokens last 20 s and from 10 s on it refuses new ones for the same scope:
    # the refresh (at 80% of the lifetime) fails, and the tail must carry on meanwhile.
    keys = dict(good_profiles(security)["oauth"], client_id="flaky", client_secret="flaky-secret",
                scope=uuid.uuid4().hex)
    cfg = write_profile(tmp_path, toml_lines(**keys))
    t = topic()
    before = refused(security, "flaky")
    k = Running(kpipe_bin, "", "--config", str(cfg), "--profile", "p", "tail", t)
    try:
        k.wait_stderr(lambda _: refused(security, "flaky") > before, timeout=60)
        produce(brokers, t, [dict(value=b'{"after":"refresh failed"}')])
        assert json.loads(k.wait_lines(1)[0])["value"] == {"after": "refresh failed"}
        assert k.interrupt() == 0, k.err_lines
    finally:
        k.kill()


# --- config check --------------------------------------------------------------


@pytest.mark.parametrize("profile", ["ssl", "aiven", "confluent-cloud", "msk-scram", "oauth"])
def test_config_check_good_profile(kp, security, profile):
    keys = good_profiles(security)[profile]
    r = kp(keys, "config", "check")
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    steps = [line.split()[:2] for line in out.splitlines()[1:-1] if not line.startswith(" ")]
    names = [s[1] for s in steps]
    assert names[:3] == ["DNS", "TCP", "TLS"] and names[-3:] == ["METADATA", "TOPICS", "GROUPS"]
    assert all(s[0] in ("ok", "-") for s in steps), out
    assert "issuer CN=kpipe local CA" in out and "verified" in out
    r = kp(keys, "config", "check", "-o", "json")
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["ok"] is True and doc["exit_code"] == 0
    by_name = {s["step"]: s for s in doc["steps"]}
    assert by_name["TLS"]["status"] == "ok" and "TLSv1." in by_name["TLS"]["detail"]
    assert "1 broker" in by_name["METADATA"]["detail"]
    assert all(isinstance(s["ms"], (int, float)) for s in doc["steps"])
    if keys.get("kind") == "oauth":
        assert by_name["TOKEN"]["status"] == "ok" and by_name["SASL"]["status"] == "ok"


CHECK_MISTAKES = [
    ("wrong port for TLS", "ssl", dict(brokers="${PLAIN}"), "TLS", "does not speak TLS"),
    ("untrusted CA", "ssl", dict(ca_file="${OTHER_CA}"), "TLS", "not signed by a CA kpipe trusts"),
    ("host name mismatch", "ssl", dict(brokers="${BADHOST}"), "TLS", "host name mismatch"),
    ("missing client certificate", "aiven", dict(kind=None, security_protocol="SSL", cert_file=None, key_file=None),
     "TLS", "requires a client certificate"),
    ("wrong password", "confluent-cloud", dict(api_secret="wrong-pw-123"), "SASL", "wrong user name or password"),
    ("SCRAM vs PLAIN", "scram-sha-256", dict(sasl_mechanism="PLAIN"), "SASL", "does not offer SASL PLAIN"),
    ("rejected token", "oauth", dict(client_id="foreign", client_secret="foreign-secret"), "SASL",
     "rejected the token"),
    ("token endpoint refuses", "oauth", dict(client_secret="wrong-pw-123"), "TOKEN", "client id or secret is wrong"),
    ("nothing listens", "ssl", dict(brokers="127.0.0.1:1"), "TCP", "127.0.0.1:1"),
]


@pytest.mark.parametrize("name,base,changes,step,cause", CHECK_MISTAKES, ids=[m[0] for m in CHECK_MISTAKES])
def test_config_check_names_the_failing_step(kp, security, brokers, name, base, changes, step, cause):
    keys = changed(good_profiles(security)[base], changes)
    extra = wrong_env(security, brokers)
    r = kp(keys, "--timeout", FAIL_TIMEOUT, "config", "check", "-o", "json", extra_env=extra, timeout=40)
    assert r.returncode == 4, r.stdout.decode() + r.stderr.decode()
    doc = json.loads(r.stdout)
    last = doc["steps"][-1]
    assert doc["ok"] is False and doc["exit_code"] == 4
    assert last["step"] == step and last["status"] == "failed", doc
    assert cause in last["detail"] and last["fix"], doc
    assert all(s["status"] in ("ok", "skipped") for s in doc["steps"][:-1]), doc
    r = kp(keys, "--timeout", FAIL_TIMEOUT, "config", "check", extra_env=extra, timeout=40)
    assert r.returncode == 4
    assert f"FAIL  {step}" in r.stdout.decode() and "fix: " in r.stdout.decode()


def test_config_check_without_tls(run, brokers):
    r = run("config", "check")
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert "not used (security.protocol" in out


# --- MSK IAM -------------------------------------------------------------------


def test_msk_iam_profile_expands_and_finds_credentials(run, tmp_path):
    cfg = write_profile(tmp_path, toml_lines(kind="msk-iam",
                                             brokers="b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"))
    r = run("--config", cfg, "--profile", "p", "config", "show", "-o", "json", env={"KPIPE_BROKERS": ""})
    assert r.returncode == 0, r.stderr.decode()
    doc = json.loads(r.stdout)
    assert doc["sasl.mechanisms"]["value"] == "OAUTHBEARER" and doc["security.protocol"]["value"] == "SASL_SSL"
    assert doc["aws.region"]["value"] == "eu-west-1"
    # No credentials anywhere: exit 4 naming where kpipe looked, before any connection.
    r = run("--config", cfg, "--profile", "p", "--timeout", "5s", "topics", "list",
            env={"KPIPE_BROKERS": "", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                 "AWS_PROFILE": ""})
    assert r.returncode == 4, r.stderr.decode()
    assert b"no AWS credentials" in r.stderr


def test_msk_iam_region_is_required_when_brokers_do_not_name_one(run, tmp_path):
    cfg = write_profile(tmp_path, toml_lines(kind="msk-iam", brokers="kafka.internal:9098"))
    r = run("--config", cfg, "--profile", "p", "config", "show")
    assert r.returncode == 2 and b"region" in r.stderr


SIGNER = r"""
import datetime, sys
import botocore.auth
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
when = datetime.datetime.fromtimestamp(int(sys.argv[2]), datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda remove_tzinfo=True: when
token, expiry = MSKAuthTokenProvider.generate_auth_token(sys.argv[1])
print(token)
print(expiry)
print(MSKAuthTokenProvider.__get_user_agent__())
"""

AWS_KEYS = [
    dict(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    dict(AWS_ACCESS_KEY_ID="ASIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
         AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/session+token=="),
]


@pytest.mark.parametrize("keys", AWS_KEYS, ids=["long-term keys", "session token"])
@pytest.mark.parametrize("region,when", [("us-east-1", 1700000000), ("eu-west-1", 1764000123)])
def test_msk_iam_token_equals_aws_reference_signer(run, tmp_path, keys, region, when):
    signer = kafkautil.pypi_dir() / "aws_msk_iam_sasl_signer"
    if not signer.is_dir():
        pytest.fail(f"AWS's MSK IAM signer is not installed in {signer.parent}: run scripts/bootstrap", pytrace=False)
    env = {**os.environ, **keys, "HOME": str(tmp_path), "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "PYTHONPATH": str(signer.parent)}
    env.pop("AWS_PROFILE", None)
    ref = subprocess.run(["/usr/bin/python3", "-c", SIGNER, region, str(when)], capture_output=True, env=env,
                         timeout=60)
    assert ref.returncode == 0, ref.stderr.decode()
    token, expiry, agent = ref.stdout.decode().split()
    r = run("config", "__msk-iam-token", "--region", region, "--time", str(when), "--user-agent", agent,
            env={**keys, "HOME": str(tmp_path), "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                 "AWS_CONFIG_FILE": "/dev/null", "AWS_PROFILE": ""})
    assert r.returncode == 0, r.stderr.decode()
    ours = r.stdout.decode().split()
    assert ours[0] == token
    assert ours[1] == expiry


def test_msk_iam_token_from_a_shared_credentials_file_profile(run, tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = x\n\n"
                     "[prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = wJalrXUtnFEMI/prod\n")
    env = {"HOME": str(tmp_path), "AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_ACCESS_KEY_ID": "",
           "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": "/dev/null"}
    for profile, key in (("", b"AKIADEFAULT"), ("prod", b"AKIAPROD")):
        r = run("config", "__msk-iam-token", "--region", "us-east-1", "--time", "1700000000",
                env={**env, "AWS_PROFILE": profile})
        assert r.returncode == 0, r.stderr.decode()
        url = base64.urlsafe_b64decode(r.stdout.split()[0] + b"==")
        assert b"X-Amz-Credential=" + key + b"%2F20231114%2Fus-east-1%2Fkafka-cluster%2Faws4_request" in url
