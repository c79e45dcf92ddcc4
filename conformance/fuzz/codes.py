"""Which OCPP-J CALLERROR codes a receiver may answer each fault with: our reading of Part 4.

Sources (cited by section; the text itself is not reproduced): Part 4 4.3 (Table 8, the error codes),
4.1.3 and 4.4 (message types), 4.1.4 (message id: string of at most 36 characters), 4.1.5 (payload is
a JSON object), 4.1.7 (which invalid messages MUST get a CALLERROR), 4.2.1 (a CALL has 4 elements,
the action is case-sensitive), 4.2.3 (CALLERROR: "-1" as id when the id cannot be read; a message not
conforming to the schema MAY be dropped).

Decisions (`allowed` = lenient mode, `exact` = the single best code for a strict mode):

* Table 8 splits payload faults into: syntactically incorrect (FormatViolation); not conform the
  PDU structure (ProtocolError); and, for syntactically correct payloads, occurrence
  (OccurrenceConstraintViolation), data type (TypeConstraintViolation) and invalid value
  (PropertyConstraintViolation). GenericError is only for errors no specific code covers, so it is
  never allowed here. Faults in the wrapper rather than the payload (message id, element count,
  non-integer type id) are RpcFrameworkError ("not a valid RPC request").
* required (a mandatory field missing): exact OccurrenceConstraintViolation; also its field
  misspelling OccurenceConstraintViolation, and ProtocolError (the set of fields does not conform to
  the PDU; the `ocpp` library's choice). Not FormatViolation: Table 8 describes occurrence faults as
  syntactically correct payloads.
* additionalProperties (a field the PDU does not have): exact ProtocolError (PDU structure); also
  OccurrenceConstraintViolation (and its misspelling): the field occurs where it may not; and
  FormatViolation (lenient only): many implementations answer it, and Table 8's wording for it
  (payload syntactically incorrect for the action) fits an undeclared field too.
* type: only TypeConstraintViolation, Table 8's own example is a type mismatch.
* maxLength: exact TypeConstraintViolation, because OCPP declares lengths as part of the data type
  (`string[36]` in the Datatype columns of Part 4 Tables 4-7); also PropertyConstraintViolation.
* enum, minimum, maximum: exact PropertyConstraintViolation (an invalid value of a well-formed
  field); enum also allows TypeConstraintViolation (each enumeration is an OCPP data type).
* format (date-time): exact FormatViolation (the value's lexical form is wrong); also
  TypeConstraintViolation (dateTime is a primitive OCPP type) and PropertyConstraintViolation.

Replies: 4.1.7 makes a CALLERROR mandatory for an unknown action, non-JSON, a missing required field
and a wrong data type; for the other schema faults 4.2.3 lets the receiver drop the message, so a
fuzz test may accept silence there (`REPLY_REQUIRED_RULES`).
"""

from __future__ import annotations

OCCURRENCE = "OccurrenceConstraintViolation"
OCCURRENCE_MISSPELT = "OccurenceConstraintViolation"  # seen in the field; the `ocpp` library sends it
PROPERTY = "PropertyConstraintViolation"
TYPE = "TypeConstraintViolation"
FORMAT = "FormatViolation"
PROTOCOL = "ProtocolError"
RPC = "RpcFrameworkError"
MESSAGE_TYPE = "MessageTypeNotSupported"
NOT_IMPLEMENTED = "NotImplemented"

# rule -> (allowed codes, exact code)
PAYLOAD_RULE_CODES: dict[str, tuple[frozenset[str], str]] = {
    "required": (frozenset({OCCURRENCE, OCCURRENCE_MISSPELT, PROTOCOL}), OCCURRENCE),
    "additionalProperties": (frozenset({PROTOCOL, OCCURRENCE, OCCURRENCE_MISSPELT, FORMAT}), PROTOCOL),
    "type": (frozenset({TYPE}), TYPE),
    "maxLength": (frozenset({TYPE, PROPERTY}), TYPE),
    "enum": (frozenset({PROPERTY, TYPE}), PROPERTY),
    "minimum": (frozenset({PROPERTY}), PROPERTY),
    "maximum": (frozenset({PROPERTY}), PROPERTY),
    "format": (frozenset({FORMAT, TYPE, PROPERTY}), FORMAT),
}

# Part 4 4.1.7: invalid in a way that SHALL be answered with a CALLERROR (others MAY be dropped).
REPLY_REQUIRED_RULES: frozenset[str] = frozenset({"required", "type"})

# fault -> (allowed codes, exact code, a reply correlated by message id is required)
FRAMING_FAULT_CODES: dict[str, tuple[frozenset[str], str, bool]] = {
    # No message id can be read: a CALLERROR with id "-1" is permitted (4.2.3), not required.
    "not-json": (frozenset({RPC, FORMAT}), RPC, False),
    "not-array": (frozenset({RPC, PROTOCOL}), RPC, False),
    "empty-array": (frozenset({RPC, PROTOCOL}), RPC, False),
    # Part 4 does not define binary frames; OCPP-J is text. The peer must survive it.
    "binary-frame": (frozenset({RPC, FORMAT}), RPC, False),
    # The id is readable from here on.
    "message-type-unknown": (frozenset({MESSAGE_TYPE}), MESSAGE_TYPE, True),  # 4.1.3, 4.4
    "message-type-string": (frozenset({RPC, MESSAGE_TYPE}), RPC, True),  # Table 5: an integer
    "unknown-action": (frozenset({NOT_IMPLEMENTED}), NOT_IMPLEMENTED, True),  # Table 8, 4.1.7
    "message-id-too-long": (frozenset({RPC}), RPC, True),  # 4.1.4, 4.2.3
    "message-id-numeric": (frozenset({RPC}), RPC, True),  # 4.1.4: a string
    "payload-not-object": (frozenset({PROTOCOL, FORMAT, TYPE}), PROTOCOL, True),  # 4.1.5
    "call-3-elements": (frozenset({RPC, PROTOCOL}), RPC, True),  # 4.2.1: 4 elements
}
