from assistant.conversation import contextualize, is_follow_up


def test_first_question_is_searched_as_asked():
    assert contextualize("What did the NEC decide about primaries?", None) == "What did the NEC decide about primaries?"


def test_follow_up_carries_the_previous_topic():
    query = contextualize("who proposed it?", "What did the NEC decide about primaries?")
    assert query == "What did the NEC decide about primaries? who proposed it?"


def test_follow_up_with_a_new_date_drops_the_old_date():
    query = contextualize("and what about in 2013?", "What did the NEC say about conference in November 2012?")
    assert "2012" not in query and "2013" in query and "conference" in query


def test_a_new_full_question_starts_afresh():
    assert not is_follow_up("How many council seats did Labour gain in the local elections?")
    assert contextualize("Who is the Party Treasurer?", "primaries") == "Who is the Party Treasurer?"
