"""Prints one SCRAM exchange made by scramp as the server, with fixed nonces and salt, so
ScramSessionTests can check our client against an independent implementation byte for byte.

    .venv/bin/python Tests/e2e/scram_vector.py SCRAM-SHA-512
"""
import sys

import scramp

MECHANISM = sys.argv[1] if len(sys.argv) > 1 else "SCRAM-SHA-512"
CLIENT_NONCE = "ZXhwb3J0ZXJkLWNsaWVudC1ub25jZQ"
SERVER_NONCE = "c2NyYW1wLXNlcnZlci1ub25jZQ"
SALT = b"exporterd-scram-vector-salt"

mechanism = scramp.ScramMechanism(MECHANISM)
auth_info = mechanism.make_auth_info("pencil", iteration_count=4096, salt=SALT)
server = mechanism.make_server(lambda username: auth_info, s_nonce=SERVER_NONCE)
client = scramp.ScramClient([MECHANISM], "user", "pencil", c_nonce=CLIENT_NONCE)

client_first = client.get_client_first()
server.set_client_first(client_first)
server_first = server.get_server_first()
client.set_server_first(server_first)
client_final = client.get_client_final()
server.set_client_final(client_final)
server_final = server.get_server_final()
client.set_server_final(server_final)

for name, value in [("clientNonce", CLIENT_NONCE), ("clientFirst", client_first), ("serverFirst", server_first),
                    ("clientFinal", client_final), ("serverFinal", server_final)]:
    print(f'{name}: "{value}",')
