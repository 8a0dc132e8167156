//! The Damm check digit: detects every single-digit error and every adjacent
//! transposition, which are the mistakes people make when copying a long number.

/// The totally anti-symmetric quasigroup of order 10 from Damm's thesis (2004).
const TABLE: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Returns the interim digit for a string of ASCII digits, or `None` if any
/// character is not `0`–`9`.
fn interim(digits: &str) -> Option<u8> {
    digits.bytes().try_fold(0u8, |state, b| {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        Some(TABLE[state as usize][d as usize])
    })
}

/// The check digit to append to `digits`.
pub fn check_digit(digits: &str) -> Option<char> {
    interim(digits).map(|d| char::from(b'0' + d))
}

/// Whether `digits` (including its final check digit) is valid.
pub fn is_valid(digits: &str) -> bool {
    !digits.is_empty() && interim(digits) == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // Wikipedia's worked example: 572 -> check digit 4.
        assert_eq!(check_digit("572"), Some('4'));
        assert!(is_valid("5724"));
        assert!(!is_valid("5723"));
    }

    #[test]
    fn catches_every_single_digit_error_and_adjacent_swap() {
        let base = "123456789012";
        let full = format!("{base}{}", check_digit(base).unwrap_or('x'));
        for i in 0..full.len() {
            for d in b'0'..=b'9' {
                let mut b = full.clone().into_bytes();
                if b[i] == d {
                    continue;
                }
                b[i] = d;
                assert!(!is_valid(std::str::from_utf8(&b).unwrap_or("")));
            }
        }
        for i in 0..full.len() - 1 {
            let mut b = full.clone().into_bytes();
            if b[i] == b[i + 1] {
                continue;
            }
            b.swap(i, i + 1);
            assert!(!is_valid(std::str::from_utf8(&b).unwrap_or("")));
        }
    }

    #[test]
    fn rejects_non_digits() {
        assert_eq!(check_digit("12a"), None);
        assert!(!is_valid(""));
    }
}
