"""Passwords on command lines are replaced; the same flags meaning something else stay."""

from __future__ import annotations

import json

import pytest
from placeholder_shapes import shape

from assistant.redaction import Redactor

# (command line, the password in it); only the password may change
CASES = [
    ("mysql -u root -pS3cretPw db", "S3cretPw"),
    ("kubectl exec mysql-0 -- mysqldump -uroot -pS3cretPw shop", "S3cretPw"),
    ("mysql -h db -P 3306 -uroot -p'S3cret Pw' shop", "S3cret Pw"),
    ('mysqldump -uroot -p"S3cretPw" shop > dump.sql', "S3cretPw"),
    ("mysql -u root --password=S3cretPw db", "S3cretPw"),
    ("PGPASSWORD=S3cretPw psql -h db -U app", "S3cretPw"),
    ("curl -u admin:S3cretPw https://api.acme.io", "S3cretPw"),
    ("curl --user admin:S3cretPw https://x", "S3cretPw"),
    ("curl --user=admin:S3cretPw https://x", "S3cretPw"),
    ("curl -fsSL -uadmin:'S3cret Pw' https://x", "S3cret Pw"),
    ("curl -u 'admin:S3cret Pw' https://x", "S3cret Pw"),
    ("sshpass -p S3cretPw ssh root@host", "S3cretPw"),
    ("sshpass -pS3cretPw ssh -p 2222 root@host", "S3cretPw"),
    ("sshpass -P assword -p 'S3cretPw' ssh host", "S3cretPw"),
    ("redis-cli -h redis -p 6379 -a S3cretPw ping", "S3cretPw"),
    ("docker login -u ci -p S3cretPw registry.acme.io", "S3cretPw"),
    ("oc login -u admin -p S3cretPw https://api.ocp:6443", "S3cretPw"),
    ("openssl pkcs12 -export -passout pass:hunter -out k.p12", "hunter"),
    ("ldapsearch -x -H ldap://ldap.acme.io -D cn=admin,dc=acme,dc=io -w S3cretPw -b dc=acme,dc=io",
     "S3cretPw"),
    ("ldapmodify -D cn=admin,dc=acme,dc=io -wS3cretPw -f change.ldif", "S3cretPw"),
    ("ldapadd -x -D cn=admin,dc=acme,dc=io -w 'S3cret Pw' -f add.ldif", "S3cret Pw"),
    ("ldapdelete -D cn=admin,dc=acme,dc=io -w S3cretPw uid=bob,ou=people,dc=acme,dc=io",
     "S3cretPw"),
    ("ldappasswd -x -D cn=admin,dc=acme,dc=io -W -s N3wS3cret uid=bob,dc=acme,dc=io",
     "N3wS3cret"),
    ("ldappasswd -x -D cn=admin -W -a 0ldS3cret -S uid=bob", "0ldS3cret"),
    ("http -a alice:S3cretPw GET https://api.acme.io/v1/me", "S3cretPw"),
    ("http --auth alice:S3cretPw GET https://api.acme.io/v1/me", "S3cretPw"),
    ("https --auth=alice:S3cretPw api.acme.io/v1/me", "S3cretPw"),
    ("http POST api.acme.io/v1/orders -a 'alice:S3cret Pw' id=7", "S3cret Pw"),
    ("xh -a alice:S3cretPw api.acme.io/v1/me", "S3cretPw"),
    ("mongo -u admin -p S3cretPw --authenticationDatabase admin", "S3cretPw"),
    ("mongosh mongodb://db:27017 -u admin -p 'S3cret Pw'", "S3cret Pw"),
    ("ssh-keygen -t ed25519 -N 'S3cretPw' -f id_deploy", "S3cretPw"),
    ("zip -P S3cretPw backup.zip dump.sql", "S3cretPw"),
    ("rabbitmqctl add_user admin S3cretPw", "S3cretPw"),
    ("rabbitmqctl -n rabbit@mq-0 change_password guest 'S3cret Pw'", "S3cret Pw"),
    ("htpasswd -b /etc/nginx/.htpasswd alice S3cretPw", "S3cretPw"),
    ("htpasswd -nbB alice S3cretPw", "S3cretPw"),
    ("echo 'alice:S3cretPw' | sudo chpasswd", "S3cretPw"),
    # servers told a password: Redis, SMTP, SQL
    ("requirepass S3cretPw", "S3cretPw"),
    ("masterauth S3cretPw", "S3cretPw"),
    ('127.0.0.1:6379> CONFIG SET requirepass "S3cretPw"', "S3cretPw"),
    ("AUTH S3cretPw", "S3cretPw"),
    ("redis-master:6379> AUTH default S3cretPw", "S3cretPw"),
    ("C: AUTH PLAIN AGFsaWNlAFMzY3JldFB3", "AGFsaWNlAFMzY3JldFB3"),
    ("send: 'AUTH PLAIN AGFsaWNlAFMzY3JldFB3\\r\\n'", "AGFsaWNlAFMzY3JldFB3"),
    ("CREATE USER 'app'@'%' IDENTIFIED BY 'S3cretPw';", "S3cretPw"),
    ("ALTER USER app IDENTIFIED WITH mysql_native_password BY 'S3cretPw';", "S3cretPw"),
    ("CREATE USER scott IDENTIFIED BY S3cretPw;", "S3cretPw"),
    ("SET PASSWORD FOR 'root'@'%' = 'S3cretPw';", "S3cretPw"),
    ("SET PASSWORD = PASSWORD('S3cretPw')", "S3cretPw"),
    ("keytool -list -keystore ks.jks -storepass S3cretPw", "S3cretPw"),
]


@pytest.mark.parametrize(("line", "secret"), CASES, ids=[c[0][:40] for c in CASES])
def test_command_line_password_is_replaced(redactor: Redactor, line: str, secret: str) -> None:
    assert shape(redactor.redact(line)) == line.replace(secret, "<password>")


@pytest.mark.parametrize("line", [c[0] for c in CASES[:3] + CASES[6:8] + CASES[12:13]])
def test_inside_a_json_log_message_the_closing_quote_stays(redactor: Redactor, line: str) -> None:
    record = json.dumps({"msg": line, "level": "info"})
    out = redactor.redact(record)
    assert "S3cret" not in out
    assert json.loads(out)["level"] == "info"


@pytest.mark.parametrize("line", [
    "ssh -p 2222 deploy@10.0.3.7",
    "mysql -u root -p shop",
    "mysqladmin -uroot -p status",
    "mysql -uroot -p$MYSQL_ROOT_PASSWORD shop",
    "docker run -u 1000:1000 --rm ghcr.io/acme/api:2.3.1",
    "docker exec -u www-data:www-data web php artisan migrate",
    "docker run -u app:staff app",
    "curl -u alice: https://api.acme.io/v1/me",
    "curl -u alice https://api.acme.io/v1/me",
    "curl -u alice:$API_PASSWORD https://api.acme.io/v1/me",
    "redis-cli -h redis-master -p 6379 ping",
    "mkdir -p /var/lib/app/data",
    "sshpass -f /etc/ssh/pw ssh -p 2222 deploy@bastion",
    "docker login -u ci --password-stdin ghcr.io",
    "openssl rsa -in k.pem -passin env:KEY_PASS -out k.der",
    "psql -h db.internal -U app -d shop",
    "ldapsearch -x -D cn=admin,dc=acme,dc=io -W -b dc=acme,dc=io",
    "ldappasswd -x -D cn=admin,dc=acme,dc=io -W -S uid=bob,dc=acme,dc=io",
    "ldapsearch -x -s sub -a always -b dc=acme,dc=io",
    "ldapsearch -x -D cn=admin,dc=acme,dc=io -y /etc/ldap.secret -b dc=acme,dc=io",
    "ldapsearch -x -D cn=admin,dc=acme,dc=io -w $LDAP_PASSWORD -b dc=acme,dc=io",
    "ldapsearch -x -H ldap://ldap.acme.io -b dc=acme,dc=io '(uid=alice)' mail",
    "wget -w 2 https://ldap.acme.io/export.ldif",
    "http -a alice GET https://api.acme.io/v1/me",
    "http -a alice: GET https://api.acme.io/v1/me",
    "https --auth=alice api.acme.io/v1/me",
    "GET https://api.acme.io/v1/me 200 | tee -a access:log",
    "uname -a",
    "cp -a /etc/nginx /backup/nginx",
    "requirepass is not set",
    "# requirepass foobared",
    "AUTH failed: WRONGPASS invalid username-password pair",
    "redis AUTH ok",
    "AUTH LOGIN",
    "MySQL [(none)]> SET PASSWORD FOR 'root'@'%' = PASSWORD(@pw);",
    "user identified by the scheduler as stale",
    "htpasswd -c /etc/nginx/.htpasswd alice",
    "rabbitmqctl list_users",
    "ssh-keygen -t ed25519 -N '' -f id_deploy",
    "bypass: enabled",
])
def test_flags_that_are_not_passwords_stay(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize("line", [
    "http -A bearer -a s3cr3tT0kenValue GET https://api.acme.io/v1/me",
    "https --auth-type=bearer --auth s3cr3tT0kenValue api.acme.io/v1/me",
])
def test_httpie_bearer_auth_hides_the_whole_token(redactor: Redactor, line: str) -> None:
    assert shape(redactor.redact(line)) == line.replace("s3cr3tT0kenValue", "<token>")
