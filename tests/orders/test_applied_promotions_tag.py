"""The promotions that apply, as the cart and the review list them."""

from orders.templatetags.orders_tags import applied_promotions


def test_each_promotion_is_a_line_with_its_detail_and_the_amount_taken_off():
    html = applied_promotions(
        [
            {"name": "Spring 15%", "detail": "on notebooks", "amount": "4.58"},
            {"name": "Free shipping", "detail": "", "amount": "8.00"},
        ]
    )

    assert html == (
        '<li><span class="state-ok">✓</span> Spring 15% <span class="muted">on notebooks</span>'
        ' <span class="num">−4.58</span></li>'
        '<li><span class="state-ok">✓</span> Free shipping <span class="num">−8.00</span></li>'
    )


def test_an_amount_that_rounds_to_no_cent_is_not_shown():
    html = applied_promotions(
        [{"name": "Free case", "amount": "0.00"}, {"name": "x", "amount": 0.004}]
    )

    assert '<span class="num"></span>' in html and "−" not in html
    assert "−0.005" in applied_promotions([{"name": "Half a cent", "amount": "0.005"}])


def test_names_are_escaped():
    html = applied_promotions([{"name": "<b>Big</b> & bold", "detail": "<i>", "amount": "1.00"}])

    assert "&lt;b&gt;Big&lt;/b&gt; &amp; bold" in html and "&lt;i&gt;" in html
    assert applied_promotions(None) == "" and applied_promotions([]) == ""
