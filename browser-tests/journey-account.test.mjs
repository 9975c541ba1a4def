// Journey: the account pages around signing in. A SENCO gives the code from
// their authenticator app (a wrong one first); someone who forgot their
// passphrase asks for a reset link; replacing a key asks for the passphrase
// again; a parent opens the two-factor set-up page.
// Run with JavaScript on (axe on every page) and off.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  accountFor, step, trackPageErrors, assertNoPageErrors, nextCode
} from './lib/harness.mjs'

describe('journey: account pages', () => {
  let senco

  before(async () => {
    senco = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await senco?.stop()
  })

  for (const javaScriptEnabled of [true, false]) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`two-factor code, reset link and set-up pages (${mode})`, { timeout: 180_000 }, async () => {
      const staff = accountFor(senco.accounts, 'senco')
      const parent = accountFor(senco.accounts, 'parent')
      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `account-${label}-js`) }

      try {
        await step(page, `${mode} the code page`, async () => {
          await page.goto('/sign-in')
          await page.getByLabel('Email address', { exact: true }).fill(staff.email)
          await page.getByLabel('Passphrase', { exact: true }).fill(staff.passphrase)
          await page.getByRole('button', { name: 'Sign in', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/sign-in/code')
          await a11y('code')
          await page.getByLabel('Code', { exact: true }).fill('12')
          await page.getByRole('button', { name: 'Continue', exact: true }).click()
          await page.locator('.govuk-error-summary').waitFor()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /6-digit code/)
          await a11y('code-error')
          await page.getByLabel('Code', { exact: true }).fill(await nextCode(staff))
          await page.getByRole('button', { name: 'Continue', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/')
        })

        await step(page, `${mode} replacing the key asks for the passphrase again`, async () => {
          await page.goto('/account/two-factor')
          await page.getByRole('heading', { name: 'Move to a new device or get new recovery codes' }).waitFor()
          await a11y('two-factor-replace')
          await page.getByLabel('Current passphrase', { exact: true }).fill('not my passphrase')
          await page.getByRole('button', { name: 'Replace my key', exact: true }).click()
          await page.locator('.govuk-error-summary').waitFor()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /current passphrase/)
          await a11y('two-factor-replace-error')
          await page.getByRole('button', { name: 'Sign out' }).click()
          await page.waitForURL(url => url.pathname === '/sign-in')
        })

        await step(page, `${mode} forgotten passphrase`, async () => {
          await page.getByRole('link', { name: 'Forgotten your passphrase?' }).click()
          await page.waitForURL(url => url.pathname === '/sign-in/forgot')
          await a11y('forgot')
          await page.getByRole('button', { name: 'Send the link', exact: true }).click()
          await page.locator('.govuk-error-summary').waitFor()
          assert.match(await page.locator('.govuk-error-summary').innerText(), /Enter your email address/)
          await a11y('forgot-error')
          await page.getByLabel('Email address', { exact: true }).fill(staff.email)
          await page.getByRole('button', { name: 'Send the link', exact: true }).click()
          await page.getByRole('heading', { name: 'Check your email' }).waitFor()
          await a11y('forgot-sent')
          await page.goto('/sign-in/reset?token=not-a-real-token')
          await page.getByRole('heading', { name: 'This link no longer works' }).waitFor()
          await a11y('reset-gone')
        })

        await step(page, `${mode} a parent's two-factor set-up page`, async () => {
          await signIn(page, parent)
          assert.equal(new URL(page.url()).pathname, '/', 'parents are not asked for a code until they choose to')
          await page.goto('/account/two-factor')
          await page.locator('.senco-secret').waitFor()
          await a11y('two-factor-setup')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
