"""The signing set-up: from trusted settings or the environment only, checked before anything is signed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID
from signing_certificates import make_credentials

from conftest import run_cli, write_story
from mediapack.config import load_settings
from mediapack.context import BuildOptions
from mediapack.credentials.setup import ENV_CERT, ENV_KEY, signing_setup
from mediapack.errors import ConfigError
from mediapack.records import environment
from mediapack.settings import Settings, SigningSettings


@pytest.fixture(autouse=True)
def no_signing_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_CERT, ENV_KEY, "MEDIAPACK_C2PA_TSA_URL", "MEDIAPACK_C2PA_TRUST_ANCHORS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def creds(tmp_path_factory: pytest.TempPathFactory):
    return make_credentials(tmp_path_factory.mktemp("creds"))


def settings_with(cert: Path | str, key: Path | str) -> Settings:
    return Settings(signing=SigningSettings(cert=str(cert), key=str(key)))


def problems_of(settings: Settings) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        signing_setup(settings)
    return [str(p) for p in caught.value.problems]


def test_signing_is_off_unless_set_up() -> None:
    assert signing_setup(Settings()) == (None, ())


def test_a_parent_folders_settings_sign_with_paths_relative_to_it(tmp_path: Path) -> None:
    make_credentials(tmp_path / "newsroom" / "keys")
    (tmp_path / "newsroom" / "mediapack.toml").write_text('[signing]\ncert = "keys/chain.pem"\nkey = "keys/key.pem"\n')
    story = write_story(tmp_path / "newsroom" / "story", "headline: Signed")
    setup, warnings = signing_setup(load_settings(story))
    assert (setup.signer, setup.alg, setup.subject) == ("Example News", "es256", "O=Example News,CN=Signing desk")
    assert warnings == ()
    assert str(tmp_path / "newsroom") in setup.origin


def test_the_story_folders_own_settings_cannot_choose_the_signer(tmp_path: Path, creds) -> None:
    story = write_story(tmp_path / "story", "headline: Hostile")
    (story / "mediapack.toml").write_text(f'[signing]\ncert = "{creds.chain}"\nkey = "{creds.key}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(story)
    assert sorted(p.key for p in caught.value.problems) == ["signing.cert", "signing.key"]
    assert all("story folder's own mediapack.toml" in p.message for p in caught.value.problems)
    proc = run_cli("check", str(story))
    assert proc.returncode == 2
    assert "signing.key: cannot be set in the story folder's own mediapack.toml" in proc.stderr


def test_the_environment_takes_paths_or_the_pem_text(monkeypatch: pytest.MonkeyPatch, creds) -> None:
    monkeypatch.setenv(ENV_CERT, str(creds.chain))
    monkeypatch.setenv(ENV_KEY, creds.key.read_text())  # as a CI secret holds it
    setup, _ = signing_setup(Settings())
    assert setup.origin == "the environment" and setup.signer == "Example News"
    assert "PRIVATE KEY" not in repr(setup)


def test_a_certificate_without_its_key_is_refused(monkeypatch: pytest.MonkeyPatch, creds) -> None:
    monkeypatch.setenv(ENV_CERT, str(creds.chain))
    assert problems_of(Settings()) == [(f"{ENV_KEY}: is not set, but {ENV_CERT} is: signing needs both the "
                                       "certificate and its key")]


def test_a_key_others_can_read_is_warned_about(tmp_path: Path) -> None:
    creds = make_credentials(tmp_path)
    creds.key.chmod(0o644)
    _, warnings = signing_setup(settings_with(creds.chain, creds.key))
    assert [str(w) for w in warnings] == [(f"{creds.key}: the private key can be read by other users of this "
                                          "machine (mode 644): run chmod 600 on it")]


def test_the_key_of_another_certificate_is_refused(tmp_path: Path, creds) -> None:
    other = make_credentials(tmp_path / "other")
    assert problems_of(settings_with(creds.chain, other.key)) == [
        f"signing.key ({other.key}): is not the key of the first certificate in signing.cert ({creds.chain})"]


def test_an_encrypted_or_broken_key_is_refused_without_showing_it(tmp_path: Path, creds,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    private = serialization.load_pem_private_key(creds.key.read_bytes(), None)
    locked = tmp_path / "locked.pem"
    locked.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.BestAvailableEncryption(b"secret")))
    assert "is encrypted" in problems_of(settings_with(creds.chain, locked))[0]
    broken = "-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n-----END PRIVATE KEY-----\n"
    monkeypatch.setenv(ENV_CERT, str(creds.chain))
    monkeypatch.setenv(ENV_KEY, broken)
    (problem,) = problems_of(Settings())
    assert problem == f"{ENV_KEY}: is not a PEM private key"


@pytest.mark.parametrize("eku", [ExtendedKeyUsageOID.SERVER_AUTH, None], ids=["serverAuth only", "no EKU"])
def test_certificates_c2pa_would_refuse_are_refused_before_the_build(tmp_path: Path, eku) -> None:
    creds = make_credentials(tmp_path, eku=eku)
    (problem,) = problems_of(settings_with(creds.chain, creds.key))
    assert "C2PA refuses to sign with it" in problem and "emailProtection" in problem


@pytest.mark.parametrize("key, alg", [(lambda: ec.generate_private_key(ec.SECP384R1()), "es384"),
                                      (ed25519.Ed25519PrivateKey.generate, "ed25519")])
def test_the_algorithm_follows_the_key(tmp_path: Path, key, alg: str) -> None:
    creds = make_credentials(tmp_path, leaf_key=key())
    setup, _ = signing_setup(settings_with(creds.chain, creds.key))
    assert setup.alg == alg


def test_doctor_shows_the_signer_and_whether_the_anchors_trust_it(tmp_path: Path, creds) -> None:
    env = {ENV_CERT: str(creds.chain), ENV_KEY: str(creds.key), "MEDIAPACK_C2PA_TRUST_ANCHORS": str(creds.root)}
    proc = run_cli("doctor", cwd=tmp_path, env=env)
    assert "signing:  O=Example News,CN=Signing desk (set in the environment)" in proc.stdout
    assert "ES256, expires " in proc.stdout and "timestamps: none (offline)" in proc.stdout
    assert "trust:    trusted by the trust anchors" in proc.stdout
    stranger = make_credentials(tmp_path / "stranger")
    proc = run_cli("doctor", cwd=tmp_path, env={**env, "MEDIAPACK_C2PA_TRUST_ANCHORS": str(stranger.root)})
    assert "trust:    NOT trusted by the trust anchors" in proc.stdout


def test_check_refuses_a_set_up_the_build_would_refuse(tmp_path: Path) -> None:
    creds = make_credentials(tmp_path / "creds", eku=ExtendedKeyUsageOID.SERVER_AUTH)
    story = write_story(tmp_path / "story", "headline: Checked")
    proc = run_cli("check", str(story), env={ENV_CERT: str(creds.chain), ENV_KEY: str(creds.key)})
    assert proc.returncode == 2
    assert f"error: {ENV_CERT} ({creds.chain}): C2PA refuses to sign with it" in proc.stderr


def test_another_certificate_makes_an_unchanged_story_out_of_date(tmp_path: Path, creds,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    options, out = BuildOptions(), tmp_path / "dist"
    unsigned = environment(Settings(), options, out)
    monkeypatch.setenv(ENV_CERT, str(creds.chain))
    monkeypatch.setenv(ENV_KEY, str(creds.key))
    signed = environment(Settings(), options, out)
    other = make_credentials(tmp_path / "other")
    monkeypatch.setenv(ENV_CERT, str(other.chain))
    monkeypatch.setenv(ENV_KEY, str(other.key))
    assert len({unsigned, signed, environment(Settings(), options, out)}) == 3


def test_doctor_names_a_broken_set_up_and_fails(tmp_path: Path, creds) -> None:
    proc = run_cli("doctor", cwd=tmp_path, env={ENV_CERT: str(creds.chain)})
    assert proc.returncode == 3
    assert f"signing:  PROBLEM - {ENV_KEY}: is not set, but {ENV_CERT} is" in proc.stdout


def test_a_timestamp_url_from_the_environment_must_be_http(monkeypatch: pytest.MonkeyPatch, creds) -> None:
    monkeypatch.setenv(ENV_CERT, str(creds.chain))
    monkeypatch.setenv(ENV_KEY, str(creds.key))
    monkeypatch.setenv("MEDIAPACK_C2PA_TSA_URL", "ftp://tsa.example.org")
    (problem,) = problems_of(Settings())
    assert problem.startswith("MEDIAPACK_C2PA_TSA_URL: ") and "ftp://tsa.example.org" in problem


def secret_lines(key_text: str) -> list[str]:
    """The lines of a key that are its secret: everything but its PEM armour and openssl's bag attributes."""
    return [line for line in key_text.splitlines() if line.strip() and "-----" not in line and ":" not in line]


def assert_refused_without_showing(story: Path, out: Path, env: dict[str, str], doctor_in: Path, expected: str,
                                   key_text: str) -> None:
    """check, build --json and doctor all refuse the set-up with ``expected``; no line of the key is shown."""
    runs = [run_cli("check", str(story), env=env), run_cli("build", str(story), "--out", str(out), "--json", env=env),
            run_cli("doctor", cwd=doctor_in, env=env)]
    assert [proc.returncode for proc in runs] == [2, 2, 3]
    assert f"error: {expected}" in runs[0].stderr
    assert expected in json.loads(runs[1].stdout)["stories"][0]["errors"]
    assert f"signing:  PROBLEM - {expected}" in runs[2].stdout
    shown = "".join(proc.stdout + proc.stderr for proc in runs)
    assert [line for line in secret_lines(key_text) if line in shown] == []
    assert not out.exists()


def test_a_key_as_openssl_exports_it_is_read_and_never_shown(tmp_path: Path, creds) -> None:
    other = make_credentials(tmp_path / "other")  # the key of another certificate: refused, as it must be
    bag = ("Bag Attributes\n    localKeyID: 5A 1F 03\n    friendlyName: signing desk\nKey Attributes: "
           "<No Attributes>\n")
    story = write_story(tmp_path / "story", "headline: Leaky")
    assert_refused_without_showing(
        story, tmp_path / "dist", {ENV_CERT: str(creds.chain), ENV_KEY: bag + other.key.read_text()}, tmp_path,
        f"{ENV_KEY}: is not the key of the first certificate in {ENV_CERT} ({creds.chain})", other.key.read_text())
    with pytest.MonkeyPatch.context() as patch:  # with its own certificate, the exported key signs
        patch.setenv(ENV_CERT, str(creds.chain))
        patch.setenv(ENV_KEY, bag + creds.key.read_text())
        assert signing_setup(Settings())[0].signer == "Example News"


def test_a_key_written_into_mediapack_toml_is_kept_as_text_and_never_shown(tmp_path: Path, creds) -> None:
    other = make_credentials(tmp_path / "other")
    newsroom = tmp_path / "newsroom"
    story = write_story(newsroom / "story", "headline: Inline")
    toml = f'[signing]\ncert = "{creds.chain}"\nkey = """\n{other.key.read_text()}"""\n'
    (newsroom / "mediapack.toml").write_text(toml)
    assert_refused_without_showing(
        story, tmp_path / "dist", {}, newsroom,
        f"signing.key: is not the key of the first certificate in signing.cert ({creds.chain})", other.key.read_text())
    (newsroom / "mediapack.toml").write_text(toml.replace(other.key.read_text(), creds.key.read_text()))
    assert signing_setup(load_settings(story))[0].signer == "Example News"


def test_a_value_that_is_neither_pem_nor_a_path_is_not_shown(creds) -> None:
    body = "".join(secret_lines(creds.key.read_text()))  # the key's base64 on one line, as a pasted secret
    (problem,) = problems_of(settings_with(creds.chain, body))
    assert problem.startswith("signing.key: is neither PEM text nor the path of a file it can read")
    assert body[:20] not in problem
    assert problems_of(settings_with(creds.chain, "/no/such/key.pem")) == [
        "/no/such/key.pem: signing.key: cannot read it: No such file or directory"]


def test_the_settings_never_show_the_key(tmp_path: Path, creds) -> None:
    (tmp_path / "mediapack.toml").write_text(f'[signing]\ncert = "{creds.chain}"\nkey = """\n{creds.key.read_text()}"""\n')
    settings = load_settings(write_story(tmp_path / "story", "headline: Shown"))
    assert settings.signing.key.strip() == creds.key.read_text().strip()  # kept as text, not joined to a folder
    assert not [line for line in secret_lines(creds.key.read_text()) if line in repr(settings)]
