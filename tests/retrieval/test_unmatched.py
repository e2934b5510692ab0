"""The partial-match note names only whole question words the quoted paragraph really lacks
(tests/retrieval/test_question.py shows a word that is really missing being named)."""

from __future__ import annotations

from retrieval.search.engine import is_glued, unglued


def test_segmentation_debris_is_never_named(seed_engine):
    answer = seed_engine.ask("廉政责任书由谁来签")
    assert answer.hits and "廉政责任书" in answer.hits[0].quote
    assert answer.unmatched == []


def test_a_word_said_another_way_is_not_named(seed_engine):
    """星期 and 周 are one thing (data/synonyms.txt): 每星期 is said by 每周…周三."""
    for question in ("市政府常务会每星期几开", "每星期几开常务会", "常务会礼拜几开"):
        answer = seed_engine.ask(question)
        assert answer.hits and "周三" in answer.hits[0].quote, question
        assert answer.unmatched == [], question


def test_a_separable_word_written_apart_is_found_and_not_named(seed_engine, monkeypatch):
    """谈话 is written 谈一次话 (data/separable.txt); 多长时间 asks, like 多久, and is no content word."""
    from retrieval.text import segment

    question = "副市长多长时间跟部门班子谈话"
    answer = seed_engine.ask(question)
    assert "谈一次话" in answer.hits[0].quote and answer.unmatched == []
    monkeypatch.setattr(segment, "separated", lambda word: ())
    assert seed_engine.ask(question).unmatched == ["谈话"]


def test_a_word_written_in_the_other_order_is_said(seed_engine):
    """互相 and 相互 are one word (data/synonyms.txt): the speech writes 相互补台."""
    answer = seed_engine.ask("为什么要互相补台")
    assert "相互补台" in answer.hits[0].quote and answer.unmatched == []


def test_question_words_glued_to_an_interrogative_or_particle_are_not_named(seed_engine):
    for question in ("常务会提了什么", "常务会由谁来召开", "廉政责任书由谁来签"):
        answer = seed_engine.ask(question)
        assert answer.hits, question
        assert not any(w in answer.unmatched for w in ("提了", "由谁来", "谁来")), question


def test_a_piece_cut_off_a_question_word_is_named_as_the_whole_word(seed_engine):
    """北京市政 is what searching cut from 北京市政府 (a name the corpus lacks): the note names
    the word the question wrote, or nothing when the paragraph has it."""
    hit = seed_engine.ask("市政府常务会多久开一次").hits[0]
    assert seed_engine.unmatched(hit, ["北京市政", "府", "常务会"], ["北京市政府", "常务会"]) == [
        "北京市政府"
    ]
    assert seed_engine.unmatched(hit, ["市政", "府", "常务会"], ["市政府", "常务会"]) == []


def test_a_word_the_paragraph_lacks_is_named(seed_engine):
    answer = seed_engine.ask("北京市政府每星期几开常务会")
    assert answer.hits and "周三" in answer.hits[0].quote
    assert answer.unmatched == ["北京市政府"]


def test_a_guess_gluing_two_words_is_not_named():
    """jieba's guesses for characters no dictionary has together (以兆康苑 in 「以兆康苑总站为…」,
    党为 in 「哪一个党为…」) are no words of the question; a name the text lacks still is."""
    text = "兆康苑总站位于屯门，是九龙巴士的总站。"
    assert is_glued("以兆康苑", text)
    assert is_glued("党为", text)
    assert not is_glued("兆康苑", "屯门的巴士总站")
    assert not is_glued("北京市政府", text)


def test_a_character_guessed_onto_a_dictionary_word_is_left_off():
    assert unglued("属于第") == "属于"
    assert unglued("北京市政府") == "北京市政府"
    assert unglued("以兆康苑") == "以兆康苑"  # no dictionary word in it: is_glued decides
