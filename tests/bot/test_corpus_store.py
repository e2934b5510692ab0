"""The versioned corpus store (bot/service/corpus_store.py) on moto's in-process S3."""

from __future__ import annotations

import pytest

from bot.service.corpus_store import CorpusStore, StoreError, parse_store_url

SPEECH = "在全市防汛工作会议上的讲话\n同志们：\n一、压实责任。汛期值班不得脱岗。\n".encode()


@pytest.fixture
def s3(monkeypatch):
    from moto import mock_aws

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def test_store_urls():
    minio = parse_store_url("http://minio:9000/speechbot/corpus/main")
    assert (minio.endpoint_url, minio.bucket, minio.prefix) == (
        "http://minio:9000",
        "speechbot",
        "corpus/main/",
    )
    aws = parse_store_url("s3://speeches")
    assert (aws.endpoint_url, aws.bucket, aws.prefix) == (None, "speeches", "")
    for bad in ("ftp://x/y", "http://host", "http://key:secret@host/bucket"):
        with pytest.raises(ValueError):
            parse_store_url(bad)


def test_upload_sync_and_rollback(s3, corpus_dir, tmp_path):
    store = CorpusStore("s3://speechbot-corpus/main")
    assert store.sync(tmp_path / "empty") is None  # an empty store leaves a folder alone
    upload = tmp_path / "防汛.txt"
    upload.write_bytes(SPEECH)

    version, replaced = store.publish(corpus_dir, upload, "防汛.txt")
    assert (version, replaced) == (2, False)  # version 1 is the corpus before the first upload
    replica = tmp_path / "replica"
    assert store.sync(replica) == 2
    names = sorted(p.name for p in replica.iterdir())
    assert names == sorted(["市长办公会议讲话.txt", "防汛.txt"])  # every version is the whole corpus
    assert (replica / "防汛.txt").read_bytes() == SPEECH

    upload.write_bytes(SPEECH + "二、加强值守。\n".encode())
    assert store.publish(corpus_dir, upload, "防汛.txt") == (3, True)
    assert store.sync(replica) == 3 and (replica / "防汛.txt").read_bytes().endswith("加强值守。\n".encode())

    assert store.rollback() == 2
    assert store.sync(replica) == 2 and (replica / "防汛.txt").read_bytes() == SPEECH
    assert store.rollback() == 1
    assert store.sync(replica) == 1 and [p.name for p in replica.iterdir()] == ["市长办公会议讲话.txt"]
    with pytest.raises(StoreError):
        store.rollback()  # version 1 has no parent
    assert store.publish(corpus_dir, upload, "新.txt")[0] == 4  # numbers are not reused after a rollback


def test_unsafe_names_are_refused(s3, corpus_dir, tmp_path):
    store = CorpusStore("s3://speechbot-corpus")
    upload = tmp_path / "x.txt"
    upload.write_bytes(SPEECH)
    with pytest.raises(StoreError):
        store.publish(corpus_dir, upload, "../escape.txt")
