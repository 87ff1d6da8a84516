import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ErrorBanner from './ErrorBanner.svelte';

describe('ErrorBanner', () => {
  afterEach(cleanup);

  it('shows nothing without an error', () => {
    render(ErrorBanner, { error: null });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the title, the message and the code as an alert', () => {
    render(ErrorBanner, { error: { code: 'database_busy', message: 'try again in a moment' } });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('The database is busy');
    expect(alert.textContent).toContain('try again in a moment');
    expect(alert.textContent).toContain('database_busy');
  });

  it('escapes text from the backend instead of rendering it as HTML', () => {
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b>';
    render(ErrorBanner, { error: { code: 'invalid_input', message: hostile } });
    const alert = screen.getByRole('alert');
    expect(alert.querySelector('img')).toBeNull();
    expect(alert.querySelector('b')).toBeNull();
    expect(alert.textContent).toContain(hostile);
  });

  it('has a keyboard-reachable dismiss button', async () => {
    const ondismiss = vi.fn();
    render(ErrorBanner, { error: { code: 'internal', message: 'oops' }, ondismiss });
    const button = screen.getByRole('button', { name: 'Dismiss' });
    button.focus();
    expect(document.activeElement).toBe(button);
    await fireEvent.click(button);
    expect(ondismiss).toHaveBeenCalledOnce();
  });
});
